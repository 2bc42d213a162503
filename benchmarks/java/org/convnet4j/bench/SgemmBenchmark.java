package org.convnet4j.bench;

import java.util.concurrent.TimeUnit;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.GemmVariants;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Row-major SGEMM C_i [m, n] = A [m, k] * B_i [k, n] on {@link KernelWorkloads#GEMMS}, one implementation per
 * trial: impl "jcublas" and "cublas13" (the cuBLAS providers, each where its library loads),
 * "kernel" (our tiled SGEMM), "kernel-naive" (our one-thread-per-output SGEMM, kept as the baseline),
 * all through {@link GemmVariants} (strided batched, A shared); and "backend": {@link Backend#gemm} as
 * layers call it (the CPU backend's blocked SGEMM, or the CUDA backend's chosen provider), where a batch
 * is one GEMM A [m, k] * [k, batch * n] of the same FLOPs. Each call ends with a device synchronization.
 * fp32 throughout (cuBLAS's default math mode: no TF32).
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Gemm#flops()} = 2 * m * n * k * batch,
 * divided by the time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
public class SgemmBenchmark {

    @Param({"square1024", "square4096", "alexnet/conv2-fwd", "alexnet/fc6-fwd"})
    public String gemm;

    @Param({"backend", "jcublas", "cublas13", "kernel", "kernel-naive"})
    public String impl;

    @Param({"auto"})
    public String device;

    @Param({"false"})
    public boolean tiny;

    private BenchDevice.Trial trial;
    private Backend backend;
    private GemmVariants variants;
    private String skipReason;
    private KernelWorkloads.Gemm g;
    private Tensor a;
    private Tensor b;
    private Tensor c;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        g = tiny ? KernelWorkloads.gemm(gemm).tiny() : KernelWorkloads.gemm(gemm);
        trial = BenchDevice.open(device, tiny);
        skipReason = trial.skipReason();
        if (skipReason == null && !impl.equals("backend")) {
            if (!trial.gpu()) {
                skipReason = "the " + impl + " SGEMM needs a GPU";
            } else {
                variants = BenchDevice.gemms();
                skipReason = variants.unavailableReason(impl);
            }
        }
        if (skipReason != null) {
            BenchDevice.skip("SgemmBenchmark." + BenchDevice.method(params.getBenchmark()),
                    "gemm=" + gemm + ", impl=" + impl, skipReason);
            return;
        }
        backend = trial.backend();
        a = BenchDevice.random(backend, Shape.of(g.m(), g.k()), 1);
        b = BenchDevice.random(backend, Shape.of(g.k(), g.batch() * g.n()), 2);
        c = backend.allocate(Shape.of(g.m(), g.batch() * g.n()));
        backend.synchronize();
    }

    @Benchmark
    public void sgemm(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (variants != null) {
            variants.sgemm(impl, g.m(), g.n(), g.k(), g.batch(), a, b, c);
        } else {
            backend.gemm(a, false, b, false, c, 1f, 0f);
        }
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (AutoCloseable x : new AutoCloseable[] {a, b, c, trial}) {
            if (x != null) {
                x.close();
            }
        }
    }
}
