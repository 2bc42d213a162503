package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.List;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.nn.Parameter;
import org.junit.jupiter.api.Test;

/**
 * Whole LeNet-5 training steps, batch 64, the same seed and data on the CPU and the GPU: the first loss,
 * every parameter gradient, the first 20 losses of training; and the GPU pool's counters across steps.
 */
@GpuTest
class LeNetCpuVsGpuTest {
    /** The first loss: same parameters, same data, so only rounding differs. */
    static final double FIRST_LOSS_RTOL = 1e-4;
    /**
     * Losses 1..20: rounding differences feed back through 19 updates and flip the odd ReLU or max-pooling
     * decision near a tie. Measured on the CPU: scaling every initial weight by (1 + 1e-6 * gaussian), about
     * the size of float rounding, moves the 20th loss by 1.9e-3 relative (1e-7: 1e-7; 1e-5: 2.0e-3).
     */
    static final double TRAJECTORY_RTOL = 1e-2;
    /**
     * Whole-net gradients: GEMM-level rounding, plus the chance (about one activation in a million, and
     * LeNet has 300,000 per batch in conv1) that a ReLU input within rounding of 0 passes its gradient on one
     * side and blocks it on the other, changing one term of a sum of up to 50,000.
     */
    static final Tolerance GRADIENT = new Tolerance(1e-2, 2e-3, "GEMM rounding plus a rare ReLU kink flip");
    static final int STEPS = 20;

    @Test
    void oneTrainingStepMatches() {
        assumeFalse(NativeBackends.fakeDevice(), "the host fake computes no loss");
        try (CpuBackend cpu = new CpuBackend(); Backend gpu = NativeBackends.openDevice();
             LeNetRun c = new LeNetRun(cpu); LeNetRun g = new LeNetRun(gpu)) {
            List<Parameter> pc = c.net.parameters();
            List<Parameter> pg = g.net.parameters();
            assertEquals(pc.size(), pg.size());
            for (int i = 0; i < pc.size(); i++) {
                CpuGpu.check("LeNet initial " + pc.get(i).name(), cpu.toFloatArray(pc.get(i).value()),
                        gpu.toFloatArray(pg.get(i).value()), Tolerance.EXACT);
            }
            LeNetRun.Batch b = LeNetRun.batch(0);
            float lc = c.forwardBackward(b);
            float lg = g.forwardBackward(b);
            double rel = Math.abs(lg - lc) / Math.abs(lc);
            System.out.printf("LeNet step 1 loss: cpu %.7f gpu %.7f, relative difference %.2e (bound %.0e)%n",
                    lc, lg, rel, FIRST_LOSS_RTOL);
            assertTrue(Float.isFinite(lg) && rel <= FIRST_LOSS_RTOL, "loss cpu " + lc + " gpu " + lg);
            for (int i = 0; i < pc.size(); i++) {
                if (pc.get(i).isTrainable()) {
                    CpuGpu.check("LeNet gradient " + pc.get(i).name() + " " + pc.get(i).shape(),
                            cpu.toFloatArray(pc.get(i).grad()), gpu.toFloatArray(pg.get(i).grad()), GRADIENT);
                }
            }
        }
    }

    @Test
    void firstTwentyLossesMatch() {
        assumeFalse(NativeBackends.fakeDevice(), "the host fake computes no loss");
        float[] lc = new float[STEPS];
        float[] lg = new float[STEPS];
        try (CpuBackend cpu = new CpuBackend(); Backend gpu = NativeBackends.openDevice();
             LeNetRun c = new LeNetRun(cpu); LeNetRun g = new LeNetRun(gpu)) {
            for (int s = 0; s < STEPS; s++) {
                LeNetRun.Batch b = LeNetRun.batch(s);
                lc[s] = c.step(b);
                lg[s] = g.step(b);
            }
        }
        double worst = 0;
        for (int s = 0; s < STEPS; s++) {
            double rel = Math.abs(lg[s] - lc[s]) / Math.abs(lc[s]);
            worst = Math.max(worst, Float.isNaN(lg[s]) ? Double.POSITIVE_INFINITY : rel);
            System.out.printf("LeNet training step %2d loss: cpu %.6f gpu %.6f relative difference %.2e%n",
                    s + 1, lc[s], lg[s], rel);
        }
        System.out.printf("LeNet 20 training losses: worst relative difference %.2e (bound %.0e)%n", worst,
                TRAJECTORY_RTOL);
        assertTrue(worst <= TRAJECTORY_RTOL, "worst relative loss difference " + worst);
        assertTrue(lg[STEPS - 1] < lg[0], "training lowers the GPU loss: " + lg[0] + " -> " + lg[STEPS - 1]);
    }

    /**
     * After one warm-up step, further steps allocate nothing: bytes in use and the pool's allocation count
     * stay the same; once the network, loss, optimizer and batch tensors are closed, bytes in use return to
     * the baseline. The baseline is taken after a first whole cycle, so that it includes the convolution
     * workspace the backend keeps between ops.
     */
    @Test
    void trainingStepsAllocateNothingAfterTheFirst() {
        assumeFalse(NativeBackends.cpuStandIn(), "the device pool needs the CUDA backend");
        try (CudaBackend gpu = NativeBackends.openCuda()) {
            try (LeNetRun first = new LeNetRun(gpu)) {
                first.step(LeNetRun.batch(0));
            }
            gpu.synchronize();
            MemoryStats baseline = gpu.memoryStats();
            System.out.println("GPU memory baseline (after one closed cycle): " + baseline);
            try (LeNetRun run = new LeNetRun(gpu)) {
                run.step(LeNetRun.batch(0));
                gpu.synchronize();
                MemoryStats warm = gpu.memoryStats();
                System.out.println("GPU memory after the warm-up step: " + warm);
                for (int s = 1; s <= 4; s++) {
                    run.step(LeNetRun.batch(s));
                    gpu.synchronize();
                    MemoryStats now = gpu.memoryStats();
                    assertEquals(warm.bytesInUse(), now.bytesInUse(), "bytes in use after step " + (s + 1));
                    assertEquals(warm.allocations(), now.allocations(), "pool allocations after step " + (s + 1));
                }
                System.out.println("GPU memory after 4 more steps: " + gpu.memoryStats()
                        + (warm.allocations() == baseline.allocations()
                        ? " (the second cycle took every block from the cache)"
                        : " (note: the second cycle made " + (warm.allocations() - baseline.allocations())
                        + " new allocations)"));
            }
            MemoryStats closed = gpu.memoryStats();
            System.out.println("GPU memory once the step's tensors are closed: " + closed);
            assertEquals(baseline.bytesInUse(), closed.bytesInUse(), "bytes in use back to the baseline");
        }
    }

    /**
     * 1000 training steps (batch 64, 8 batches cycled): the pool's bytes in use and its system allocations
     * after step 1 equal those after step 1000, so a step takes nothing new from the device. Prints both
     * for docs/results/gpu-correctness.json.
     */
    @Test
    void thousandStepsKeepDeviceMemoryFlat() {
        assumeFalse(NativeBackends.cpuStandIn(), "the device pool needs the CUDA backend");
        try (CudaBackend gpu = NativeBackends.openCuda(); LeNetRun run = new LeNetRun(gpu)) {
            run.step(LeNetRun.batch(0));
            gpu.synchronize();
            MemoryStats afterFirst = gpu.memoryStats();
            for (int s = 2; s <= 1000; s++) {
                run.step(LeNetRun.batch(s % 8));
            }
            gpu.synchronize();
            MemoryStats afterLast = gpu.memoryStats();
            System.out.println("POOL after step 1: " + afterFirst);
            System.out.println("POOL after step 1000: " + afterLast);
            assertEquals(afterFirst.bytesInUse(), afterLast.bytesInUse(), "bytes in use, step 1 vs step 1000");
            assertEquals(afterFirst.allocations(), afterLast.allocations(), "system allocations, step 1 vs 1000");
        }
    }
}
