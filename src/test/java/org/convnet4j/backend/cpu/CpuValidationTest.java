package org.convnet4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every bad-input path throws before computing, with a message naming the op and the shapes. */
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

    private static String rejects(Class<? extends RuntimeException> type, Executable call, String... fragments) {
        RuntimeException e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message \"" + e.getMessage() + "\" should contain \"" + f + "\"");
        }
        return e.getMessage();
    }

    @Test
    void convolutionWrongRankAndChannels() {
        try (Tensor x3 = cpu.allocate(Shape.of(2, 5, 5)); Tensor x = cpu.allocate(Shape.of(2, 3, 5, 5));
             Tensor w = cpu.allocate(Shape.of(4, 2, 3, 3)); Tensor y = cpu.allocate(Shape.of(2, 4, 3, 3))) {
            rejects(IllegalArgumentException.class, () -> cpu.conv2dForward(x3, w, null, ConvSpec.of(1, 0), y),
                    "conv2dForward", "rank 4", "[2, 5, 5]");
            rejects(IllegalArgumentException.class, () -> cpu.conv2dForward(x, w, null, ConvSpec.of(1, 0), y),
                    "conv2dForward", "3 channels", "[4, 2, 3, 3]");
        }
    }

    @Test
    void convolutionNonIntegerOutputSizeNamesTheFormula() {
        try (Tensor x = cpu.allocate(Shape.of(1, 1, 6, 6)); Tensor w = cpu.allocate(Shape.of(1, 1, 3, 3));
             Tensor y = cpu.allocate(Shape.of(1, 1, 2, 2)); Tensor dx = cpu.allocate(Shape.of(1, 1, 6, 6))) {
            rejects(IllegalArgumentException.class, () -> cpu.conv2dForward(x, w, null, ConvSpec.of(2, 0), y),
                    "conv2dForward", "(H + 2P - D*(FH-1) - 1)/S + 1", "(6 + 2*0 - 1*(3-1) - 1)/2 + 1", "2.5");
            rejects(IllegalArgumentException.class, () -> cpu.conv2dBackwardData(y, w, ConvSpec.of(2, 0), dx),
                    "conv2dBackwardData", "not a whole number");
            rejects(IllegalArgumentException.class, () -> cpu.conv2dBackwardFilter(x, y, ConvSpec.of(2, 0), w, null),
                    "conv2dBackwardFilter", "not a whole number");
        }
    }

    @Test
    void convolutionWrongOutputOrBiasShape() {
        try (Tensor x = cpu.allocate(Shape.of(1, 1, 5, 5)); Tensor w = cpu.allocate(Shape.of(2, 1, 3, 3));
             Tensor y = cpu.allocate(Shape.of(1, 2, 5, 5)); Tensor b = cpu.allocate(Shape.of(3));
             Tensor yOk = cpu.allocate(Shape.of(1, 2, 3, 3))) {
            rejects(IllegalArgumentException.class, () -> cpu.conv2dForward(x, w, null, ConvSpec.of(1, 0), y),
                    "conv2dForward", "y must be [1, 2, 3, 3]", "[1, 2, 5, 5]");
            rejects(IllegalArgumentException.class, () -> cpu.conv2dForward(x, w, b, ConvSpec.of(1, 0), yOk),
                    "conv2dForward", "bias must be [2]");
            rejects(IllegalArgumentException.class, () -> cpu.conv2dBackwardData(y, w, ConvSpec.of(1, 0), x),
                    "conv2dBackwardData", "dy must be [1, 2, 3, 3]");
        }
    }

    @Test
    void poolingNonIntegerOutputSizeAndWrongSwitches() {
        try (Tensor x = cpu.allocate(Shape.of(1, 1, 5, 5)); Tensor y = cpu.allocate(Shape.of(1, 1, 2, 2));
             Tensor s = cpu.allocate(Shape.of(1, 1, 2, 2), DataType.INT32);
             Tensor sFloat = cpu.allocate(Shape.of(1, 1, 2, 2));
             Tensor x4 = cpu.allocate(Shape.of(1, 1, 4, 4))) {
            rejects(IllegalArgumentException.class, () -> cpu.maxPoolForward(x, PoolSpec.of(2, 2), y, s),
                    "maxPoolForward", "(5 + 2*0 - 1*(2-1) - 1)/2 + 1", "not a whole number");
            rejects(IllegalArgumentException.class, () -> cpu.avgPoolForward(x, PoolSpec.of(2, 2), y),
                    "avgPoolForward", "not a whole number");
            rejects(IllegalArgumentException.class, () -> cpu.maxPoolForward(x4, PoolSpec.of(2, 2), y, sFloat),
                    "maxPoolForward", "switches", "INT32");
            cpu.upload(new int[] {0, 1, 16, 3}, s);
            rejects(IllegalArgumentException.class, () -> cpu.maxPoolBackward(y, s, PoolSpec.of(2, 2), x4),
                    "maxPoolBackward", "16", "4x4");
            try (Tensor x3 = cpu.allocate(Shape.of(4, 4, 4))) {
                rejects(IllegalArgumentException.class, () -> cpu.avgPoolForward(x3, PoolSpec.of(2, 2), y),
                        "avgPoolForward", "rank 4");
            }
        }
    }

    @Test
    void denseAndElementwiseShapeMismatches() {
        try (Tensor a = cpu.allocate(Shape.of(2, 3)); Tensor b = cpu.allocate(Shape.of(4, 5));
             Tensor c = cpu.allocate(Shape.of(2, 5)); Tensor w = cpu.allocate(Shape.of(5, 4));
             Tensor v = cpu.allocate(Shape.of(6)); Tensor labels = cpu.allocate(Shape.of(2), DataType.INT32)) {
            rejects(IllegalArgumentException.class, () -> cpu.gemm(a, false, b, false, c, 1f, 0f), "gemm", "[2, 3]", "[4, 5]");
            rejects(IllegalArgumentException.class, () -> cpu.linearForward(a, w, null, c), "linearForward", "3 features", "[5, 4]");
            rejects(IllegalArgumentException.class, () -> cpu.activationForward(Activation.RELU, a, c),
                    "activationForward", "[2, 3]", "[2, 5]");
            rejects(IllegalArgumentException.class, () -> cpu.sgdUpdate(a, v, 0.1f, 0f), "sgdUpdate", "[6]", "[2, 3]");
            rejects(IllegalArgumentException.class, () -> cpu.fill(labels, 0f), "fill", "FLOAT32");
            rejects(IllegalArgumentException.class, () -> cpu.upload(new float[5], a), "upload", "5", "[2, 3]");
            rejects(IllegalArgumentException.class, () -> cpu.copy(a, b), "copy", "[2, 3]", "[4, 5]");
            rejects(IllegalArgumentException.class, () -> cpu.softmaxCrossEntropyForward(a, a, a, v),
                    "softmaxCrossEntropyForward", "labels", "INT32");
        }
    }

    @Test
    void tensorFromAnotherBackendIsRejected() {
        try (CpuBackend other = new CpuBackend(1); Tensor foreign = other.allocate(Shape.of(2, 3));
             Tensor mine = cpu.allocate(Shape.of(2, 3))) {
            rejects(IllegalArgumentException.class, () -> cpu.activationForward(Activation.RELU, foreign, mine),
                    "activationForward", "x", "does not belong");
            Tensor alien = new Tensor(Shape.of(2), DataType.FLOAT32) {
                @Override
                public String backendName() {
                    return "alien";
                }

                @Override
                public Tensor reshape(Shape newShape) {
                    return this;
                }

                @Override
                protected void release() {
                }
            };
            rejects(IllegalArgumentException.class, () -> cpu.fill(alien, 0f), "fill", "alien", "does not belong");
        }
    }

    @Test
    void useAfterCloseThrowsIllegalState() {
        Tensor t = cpu.allocate(Shape.of(2, 3));
        Tensor view = t.reshape(Shape.of(6));
        t.close();
        t.close(); // idempotent
        rejects(IllegalStateException.class, () -> cpu.fill(t, 1f), "fill", "used after close");
        rejects(IllegalStateException.class, () -> cpu.fill(view, 1f), "fill", "used after close");

        CpuBackend closed = new CpuBackend(1);
        Tensor u = closed.allocate(Shape.of(2));
        closed.close();
        rejects(IllegalStateException.class, () -> closed.fill(u, 1f), "closed");
        rejects(IllegalStateException.class, () -> closed.allocate(Shape.of(2)), "closed");
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
