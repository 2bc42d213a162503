package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.convnet4j.backend.MemoryStats;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Sequential;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.train.TrainingStep;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The backend's stream and the graph capture bookkeeping, on host fakes: every launch and GEMM is on the
 * backend's stream; a captured step launches its kernels into the capture and nothing else (no allocation,
 * no synchronization, no per-step scalar written inside it); a replay launches the graph and no kernel,
 * with the per-step scalars written before it; a failed capture falls back to eager steps with the reason
 * and the host counters put back; a step that is not the captured one is refused.
 */
class CudaGraphStepTest {
    private static final int BATCH = 8;

    private final HostFakes.Rig rig = HostFakes.Rig.create();
    private final CudaBackend backend = rig.backend();
    private final Sequential net = (Sequential) Models.create("lenet5", 10);
    private final SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
    private final Optimizer adam = Optimizers.create("adam", backend, 1e-3f, 0f);
    private final Tensor images = backend.allocate(Models.batchInputShape("lenet5", BATCH));
    private final Tensor labels = backend.allocate(Shape.of(BATCH), DataType.INT32);
    private final TrainingStep step;

    CudaGraphStepTest() {
        // LeNet's 5x5 layers: under auto the process's first step would also time fft (the fake cuFFT loads), and
        // the launch counts compared here would depend on which test ran first; the FFT's own capture and replay:
        // CudaConvolutionFftTest
        backend.requestConvAlgorithm("im2col");
        net.initialize(backend, images.shape(), 7);
        step = new TrainingStep(net, loss, adam, images, labels);
    }

    @AfterEach
    void close() {
        adam.close();
        loss.close();
        net.close();
        backend.close();
    }

    private CudaGraphStep graph(boolean required) {
        return CudaGraphStep.of(backend, step, step::savepoint, required);
    }

    @Test
    void everyLaunchAndGemmIsOnTheBackendsStream() {
        CudaStream stream = backend.stream();
        assertSame(rig.device().stream(), stream);
        assertEquals(HostFakes.Device.STREAM_HANDLE, stream.handle());
        assertSame(stream, backend.gemmProvider().stream(), "the GEMM provider runs on the backend's stream");
        step.run();
        List<HostFakes.Launch> launches = rig.runner().launches;
        assertTrue(launches.size() > 30, "a LeNet step launches its kernels: " + launches.size());
        for (HostFakes.Launch l : launches) {
            assertSame(stream, l.stream(), l.kernel() + " on " + l.stream());
        }
        assertTrue(rig.runner().kernelNames().contains("sgemm_tiled"), "the GEMMs are launched too");
    }

    @Test
    void captureRecordsTheStepAndReplaysLaunchOnlyTheGraph() {
        try (CudaGraphStep g = graph(true)) {
            g.run(); // warm-up, eager
            assertFalse(g.graphed());
            int eager = rig.runner().launches.size();
            assertTrue(rig.runner().launches.stream().noneMatch(HostFakes.Launch::captured));
            MemoryStats warm = backend.memoryStats();
            int allocations = rig.memory().allocateCalls;
            int fillsBefore = rig.device().fills.size();

            g.run(); // captured, then launched once
            assertTrue(g.graphed(), "captured");
            assertNull(g.fallbackReason());
            List<HostFakes.Launch> captured = rig.runner().launches.subList(eager, rig.runner().launches.size());
            assertEquals(eager, captured.size(), "the captured step launches what the eager one did");
            assertTrue(captured.stream().allMatch(HostFakes.Launch::captured), "every launch went into the capture");
            assertEquals(1, rig.device().captures);
            assertEquals(1, rig.device().graphLaunches);
            List<HostFakes.Fill> fills = rig.device().fills.subList(fillsBefore, rig.device().fills.size());
            assertEquals(1, fills.size(), "Adam's step count changed (1 -> 2); the learning rate did not: " + fills);
            assertFalse(fills.get(0).captured(), "the new step count is written after the capture, not into it");
            assertEquals(2, fills.get(0).value());
            assertEquals(2, adam.steps());

            for (int s = 3; s <= 10; s++) {
                int fills0 = rig.device().fills.size();
                g.run();
                assertEquals(s, adam.steps(), "the host side of a replay counts the step");
                HostFakes.Fill f = rig.device().fills.get(rig.device().fills.size() - 1);
                assertEquals(fills0 + 1, rig.device().fills.size());
                assertEquals(s, f.value(), "step " + s + " written before its replay");
                assertFalse(f.captured());
            }
            assertEquals(2 * eager, rig.runner().launches.size(), "replays launch no kernel of their own");
            assertEquals(9, rig.device().graphLaunches);
            assertEquals(allocations, rig.memory().allocateCalls, "nothing allocated after the warm-up");
            assertEquals(warm.bytesInUse(), backend.memoryStats().bytesInUse());
            assertEquals(captured.size(), g.ops(), "each launch noted once (a GEMM is one sgemm_tiled launch here)");
        }
        assertEquals(1, rig.device().graphsClosed, "close destroys the graph");
    }

    @Test
    void aLearningRateChangeIsWrittenBeforeTheReplay() {
        try (CudaGraphStep g = graph(true)) {
            g.run();
            g.run();
            adam.setLearningRate(5e-4f);
            int fills0 = rig.device().fills.size();
            g.run();
            List<Integer> written = rig.device().fills.subList(fills0, rig.device().fills.size()).stream()
                    .map(HostFakes.Fill::value).toList();
            assertEquals(List.of(Float.floatToRawIntBits(5e-4f), 3), written, "the new lr, then step 3");
        }
    }

    @Test
    void anAllocationDuringCaptureFallsBackToEagerNamingTheCaller() {
        try (CudaGraphStep g = CudaGraphStep.of(backend, () -> {
            step.run();
            backend.allocate(Shape.of(1000)).close(); // a buffer made inside the step
        }, step::savepoint, false)) {
            g.run();
            int launches = rig.runner().launches.size();
            g.run();
            assertFalse(g.graphed());
            assertTrue(g.fallbackReason().contains("device allocation of 4000 bytes during CUDA graph capture"),
                    g.fallbackReason());
            assertTrue(g.fallbackReason().contains(getClass().getName()), "names the caller: " + g.fallbackReason());
            assertEquals(2, adam.steps(), "the failed capture's step counted once, when it ran eagerly");
            assertEquals(launches, rig.runner().launches.stream().filter(l -> !l.captured()).count() - launches,
                    "the step ran eagerly once more");
            assertFalse(rig.device().capturing, "the capture was ended");
            g.run();
            assertEquals(3, adam.steps());
            assertEquals(0, rig.device().graphLaunches);
        }
    }

    @Test
    void aRequiredCaptureThatFailsThrowsWithTheReason() {
        rig.device().failNextCapture = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        try (CudaGraphStep g = graph(true)) {
            g.run();
            IllegalStateException e = assertThrows(IllegalStateException.class, g::run);
            assertTrue(e.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"), e.getMessage());
            assertEquals(1, adam.steps(), "the host counters are put back");
        }
    }

    @Test
    void aFailedEndCaptureRestoresTheScalarsAndRunsEagerly() {
        rig.device().failNextCapture = "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
        try (CudaGraphStep g = graph(false)) {
            g.run();
            int fills0 = rig.device().fills.size();
            g.run();
            assertTrue(g.fallbackReason().contains("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"));
            List<HostFakes.Fill> fills = rig.device().fills.subList(fills0, rig.device().fills.size());
            assertEquals(1, fills.size(), "the eager rerun writes step 2 itself: " + fills);
            assertEquals(2, fills.get(0).value());
            assertFalse(fills.get(0).captured());
            assertEquals(2, adam.steps());
        }
    }

    @Test
    void aStepThatIsNotTheCapturedOneIsRefused() {
        Tensor other = backend.allocate(Models.batchInputShape("lenet5", 4));
        Tensor otherLabels = backend.allocate(Shape.of(4), DataType.INT32);
        boolean[] small = {false};
        TrainingStep big = step;
        TrainingStep four = new TrainingStep(net, loss, adam, other, otherLabels);
        try (CudaGraphStep g = CudaGraphStep.of(backend, () -> (small[0] ? four : big).run(), step::savepoint,
                true)) {
            g.run();
            g.run();
            small[0] = true;
            four.run(); // eager, allocates the batch-4 buffers
            IllegalStateException e = assertThrows(IllegalStateException.class, g::run);
            assertTrue(e.getMessage().contains("not the captured one"), e.getMessage());
        }
    }

    @Test
    void hostTransfersAndSynchronizationInsideACapturedStepAreRefused() {
        float[] host = new float[1];
        for (Runnable inside : List.<Runnable>of(() -> backend.download(loss.forwardOnDevice(
                net.forward(images, true), labels), host), backend::synchronize,
                () -> backend.upload(new int[BATCH], labels))) {
            try (CudaGraphStep g = CudaGraphStep.of(backend, () -> {
                step.run();
                inside.run();
            }, step::savepoint, true)) {
                g.run();
                IllegalStateException e = assertThrows(IllegalStateException.class, g::run);
                assertTrue(e.getMessage().contains("inside a CUDA graph step (capturing)"), e.getMessage());
                assertFalse(rig.device().capturing);
            }
        }
    }
}
