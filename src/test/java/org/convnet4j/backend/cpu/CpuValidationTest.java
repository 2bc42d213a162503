package org.convnet4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What only the CPU backend checks, because it can read tensor values on the host: max pooling's switches
 * and the labels of the softmax loss (argument checks shared with CUDA are in SeamChecksTest); and its
 * memory: views share storage, workspaces are counted and reused.
 */
class CpuValidationTest {
    private static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private static void rejects(Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message \"" + e.getMessage() + "\" should contain \"" + fragment
                + "\"");
    }

    @Test
    void switchesOutsideTheInputPlaneAreRejected() {
        try (Tensor dy = cpu.allocate(Shape.of(1, 1, 2, 2)); Tensor dx = cpu.allocate(Shape.of(1, 1, 4, 4));
             Tensor s = cpu.intTensor(Shape.of(1, 1, 2, 2), new int[] {0, 1, 16, 3})) {
            rejects(() -> cpu.maxPoolBackward(dy, s, PoolSpec.of(2, 2), dx),
                    "maxPoolBackward: switch 2 is 16, outside the input plane 4x4 of dx [1, 1, 4, 4]");
            cpu.upload(new int[] {0, -1, 2, 3}, s);
            rejects(() -> cpu.maxPoolBackward(dy, s, PoolSpec.of(2, 2), dx), "switch 1 is -1");
        }
    }

    @Test
    void labelsOutsideTheClassesAreRejected() {
        try (Tensor logits = cpu.allocate(Shape.of(2, 3)); Tensor probs = cpu.allocate(Shape.of(2, 3));
             Tensor loss = cpu.allocate(Shape.of(1)); Tensor labels = cpu.intTensor(Shape.of(2), new int[] {2, 3})) {
            rejects(() -> cpu.softmaxCrossEntropyForward(logits, labels, probs, loss),
                    "softmaxCrossEntropyForward: label 1 is 3, outside [0, 3)");
            cpu.upload(new int[] {-1, 0}, labels);
            rejects(() -> cpu.softmaxCrossEntropyBackward(probs, labels, logits),
                    "softmaxCrossEntropyBackward: label 0 is -1, outside [0, 3)");
        }
    }

    @Test
    void reshapeSharesStorageAndFreesNothing() {
        MemoryStats before = cpu.memoryStats();
        Tensor t = cpu.tensor(Shape.of(2, 3), new float[] {1, 2, 3, 4, 5, 6});
        assertEquals(before.bytesInUse() + 24, cpu.memoryStats().bytesInUse());
        Tensor view = t.reshape(Shape.of(3, 2));
        cpu.fill(view, 7f);
        assertEquals(7f, cpu.toFloatArray(t)[4]);
        view.close();
        assertEquals(before.bytesInUse() + 24, cpu.memoryStats().bytesInUse(), "closing a view frees nothing");
        assertEquals(7f, cpu.toFloatArray(t)[0], "the parent still works after its view closed");
        assertThrows(IllegalArgumentException.class, () -> t.reshape(Shape.of(5)));
        t.close();
        assertEquals(before.bytesInUse(), cpu.memoryStats().bytesInUse());
        assertSame("cpu", t.backendName());
    }

    @Test
    void memoryStatsCountTensorsAndReusedWorkspaces() {
        try (CpuBackend b = new CpuBackend(2)) {
            Shape xs = Shape.of(4, 3, 16, 16);
            Shape ws = Shape.of(8, 3, 3, 3);
            Shape ys = Shape.of(4, 8, 16, 16);
            try (Tensor x = b.allocate(xs); Tensor w = b.allocate(ws); Tensor y = b.allocate(ys);
                 Tensor dw = b.allocate(ws); Tensor dx = b.allocate(xs)) {
                long tensors = 4L * (2 * xs.size() + 2 * ws.size() + ys.size());
                assertEquals(tensors, b.memoryStats().bytesInUse());
                assertEquals(5, b.memoryStats().allocations());
                ConvSpec spec = ConvSpec.of(1, 1);
                b.conv2dForward(x, w, null, spec, y);
                b.conv2dBackwardData(y, w, spec, dx);
                b.conv2dBackwardFilter(x, y, spec, dw, null);
                MemoryStats first = b.memoryStats();
                assertTrue(first.bytesInUse() > tensors, "workspaces are counted: " + first);
                assertTrue(first.peakBytes() >= first.bytesInUse());
                for (int i = 0; i < 3; i++) {
                    b.conv2dForward(x, w, null, spec, y);
                    b.conv2dBackwardData(y, w, spec, dx);
                    b.conv2dBackwardFilter(x, y, spec, dw, null);
                }
                assertEquals(first, b.memoryStats(), "the same shapes again allocate nothing");
            }
        }
    }
}
