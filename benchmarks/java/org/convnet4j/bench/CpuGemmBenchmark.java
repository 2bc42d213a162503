package org.convnet4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.convnet4j.backend.cpu.CpuGemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CpuGemm} on square sizes and on the GEMMs of LeNet-5's and AlexNet's convolutions (forward,
 * one image: C[FN, OH*OW] = W[FN, C*FH*FW] * col[C*FH*FW, OH*OW]), with each implementation side by
 * side: the native BLAS ({@code BLAS}, skipped with a message where none loads) and the own SGEMM
 * ({@code JAVA}).
 *
 * <p>Work per call: 2*M*N*K floating-point operations (a multiply and an add per term), so
 * GFLOP/s = 2*M*N*K / (ms * 1e6). Shapes as "MxNxK":
 * <pre>
 *   256x256x256      square                        33.6 MFLOP
 *   512x512x512      square                       268.4 MFLOP
 *   1024x1024x1024   square                      2147.5 MFLOP
 *   6x784x25         LeNet-5 conv1 (6 5x5, pad 2, 1x28x28)      0.24 MFLOP
 *   16x100x150       LeNet-5 conv2 (16 5x5, 6x14x14)            0.48 MFLOP
 *   96x3025x363      AlexNet conv1 (96 11x11 /4, 3x227x227)   210.8 MFLOP
 *   256x729x2400     AlexNet conv2 (256 5x5 pad 2, 96x27x27)  895.8 MFLOP
 *   384x169x2304     AlexNet conv3 (384 3x3 pad 1, 256x13x13) 299.0 MFLOP
 *   384x169x3456     AlexNet conv4 (384 3x3 pad 1, 384x13x13) 448.6 MFLOP
 * </pre>
 * Run: java -cp "$(mvn -o -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout):target/test-classes:target/classes"
 * org.openjdk.jmh.Main CpuGemmBenchmark -f 1 -wi 2 -i 3 -w 1 -r 2 (add e.g. -p shape=192x729x1600 for one shape)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class CpuGemmBenchmark {

    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "6x784x25", "16x100x150", "96x3025x363",
            "192x729x1600", "256x729x2400", "384x169x2304", "384x169x3456"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"BLAS", "JAVA"})
    public CpuGemm.Implementation implementation;

    private int m;
    private int n;
    private int k;
    private float[] a;
    private float[] b;
    private float[] c;
    private CpuGemm gemm;
    private long calls;
    private long cpuNanosAtStart;

    @Setup(Level.Trial)
    public void setUp() {
        String[] mnk = shape.split("x");
        m = Integer.parseInt(mnk[0]);
        n = Integer.parseInt(mnk[1]);
        k = Integer.parseInt(mnk[2]);
        a = random(1, m * k);
        b = random(2, k * n);
        c = new float[m * n];
        if (implementation == CpuGemm.Implementation.BLAS
                && CpuGemm.defaultImplementation() != CpuGemm.Implementation.BLAS) {
            System.out.println("CpuGemmBenchmark: BLAS skipped, the CPU GEMM here is the " + CpuGemm.describeDefault());
            return;
        }
        gemm = new CpuGemm(threads, implementation);
    }

    /**
     * The process's CPU time per call over each iteration, printed as "# cpu ms/op": on a shared machine
     * it is steadier than the wall time, which counts the time the threads wait for a core.
     */
    @Setup(Level.Iteration)
    public void startCpuClock() {
        calls = 0;
        cpuNanosAtStart = processCpuNanos();
    }

    @TearDown(Level.Iteration)
    public void stopCpuClock() {
        if (calls > 0) {
            double ms = (processCpuNanos() - cpuNanosAtStart) / 1e6 / calls;
            System.out.printf(java.util.Locale.ROOT, "# cpu ms/op %s %s %d threads: %.4f (%.1f GFLOP per CPU second)%n",
                    implementation, shape, threads, ms, 2.0 * m * n * k / (ms * 1e6));
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (gemm != null) {
            gemm.close();
        }
    }

    /** C = A * B, row-major, no transposes. */
    @Benchmark
    public float[] gemm(OpBenchmark.Skips skips) {
        if (gemm == null) {
            skips.skipped++;
            return c;
        }
        gemm.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        calls++;
        return c;
    }

    private static float[] random(long seed, int size) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }
}
