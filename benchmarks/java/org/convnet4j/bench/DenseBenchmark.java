package org.convnet4j.bench;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.GemmVariants;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * The dense family's GEMM: row-major SGEMM C_i [m, n] = A [m, k] * B_i [k, n] on {@link KernelWorkloads#GEMMS},
 * one implementation per trial: impl "jcublas" and "cublas13" (the cuBLAS providers, each where its library
 * loads), "kernel" (our tiled SGEMM), "kernel-naive" (our one-thread-per-output SGEMM, kept as the
 * baseline), all through {@link GemmVariants} (strided batched, A shared); and "backend": {@link Backend#gemm}
 * as layers call it (the CPU backend's blocked SGEMM, or the CUDA backend's chosen provider), where a batch
 * is one GEMM A [m, k] * [k, batch * n] of the same FLOPs. Each call ends with a device synchronization.
 * fp32 throughout (cuBLAS's default math mode: no TF32). The linear layer is this GEMM plus a bias add
 * (alexnet/fc6-fwd is AlexNet's fc6 at batch 128), so it has no benchmark of its own.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Gemm#flops()} = 2 * m * n * k * batch FLOP,
 * divided by the time (GFLOP/s beside the ms).
 */
public class DenseBenchmark extends OpBenchmark {

    @Param({"square1024", "square4096", "alexnet/conv2-fwd", "alexnet/fc6-fwd"})
    public String gemm;

    @Param({"backend", "jcublas", "cublas13", "kernel", "kernel-naive"})
    public String impl;

    private GemmVariants variants;
    private KernelWorkloads.Gemm g;
    private Tensor a;
    private Tensor b;
    private Tensor c;

    @Override
    protected String skipReason(String method) {
        variants = null;
        if (impl.equals("backend")) {
            return null;
        }
        if (!gpu()) {
            return "the " + impl + " SGEMM needs a GPU";
        }
        variants = gemms();
        return variants.unavailableReason(impl);
    }

    @Override
    protected void setup(String method) {
        g = tiny ? KernelWorkloads.gemm(gemm).tiny() : KernelWorkloads.gemm(gemm);
        a = random(Shape.of(g.m(), g.k()), 1);
        b = random(Shape.of(g.k(), g.batch() * g.n()), 2);
        c = zeros(Shape.of(g.m(), g.batch() * g.n()));
    }

    @Benchmark
    public void sgemm(Skips skips) {
        measure(skips, () -> {
            if (variants != null) {
                variants.sgemm(impl, g.m(), g.n(), g.k(), g.batch(), a, b, c);
            } else {
                backend.gemm(a, false, b, false, c, 1f, 0f);
            }
        });
    }
}
