package org.convnet4j.bench;

import java.util.concurrent.TimeUnit;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudnnConvolution;
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
 * Convolution, each pass on its own: forward (y = conv(x, W)), backward data (dx from dy and W) and
 * backward filter (dW += from x and dy), for every layer of {@link ConvLayerShape#ALL} (LeNet-5, AlexNet,
 * AlexNet-OWT at bench_torch.py's batches), ours against cuDNN on the same card.
 *
 * <p>impl: "ours" is the backend's op (im2col + the GEMM provider it picked, col2im for backward data);
 * "ours-kernel-gemm" the same with our own SGEMM kernel as provider (a second CUDA backend opened with
 * -Dconvnet4j.gemm=kernel); "cudnn" runs the algorithm cudnnFind* chose once in setup (FMA math, no TF32),
 * with the workspace it asked for. No bias on either side. Every call ends with a device synchronization,
 * so the time is the op's, launch to finish.
 *
 * <p>Throughput (computed by the report from the JSON, not here): {@link ConvLayerShape#flops()} =
 * 2 * N * FN * OH * OW * C * K * K per pass, divided by the time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
public class ConvBenchmark {

    @Param({"lenet5/conv1", "lenet5/conv2", "alexnet/conv1", "alexnet/conv2", "alexnet/conv3", "alexnet/conv4",
            "alexnet/conv5", "alexnet-owt/conv1", "alexnet-owt/conv2", "alexnet-owt/conv3", "alexnet-owt/conv4",
            "alexnet-owt/conv5"})
    public String layer;

    @Param({"ours", "cudnn"})
    public String impl;

    @Param({"auto"})
    public String device;

    @Param({"false"})
    public boolean tiny;

    private BenchDevice.Trial trial;
    private Backend backend;
    private CudaBackend kernelGemmBackend;
    private String skipReason;
    private ConvSpec spec;
    private Tensor x;
    private Tensor w;
    private Tensor y;
    private Tensor dx;
    private Tensor dw;
    private CudnnConvolution cudnnConv;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        String method = BenchDevice.method(params.getBenchmark());
        String pass = switch (method) {
            case "forward" -> "fwd";
            case "backwardData" -> "bwd_data";
            default -> "bwd_filter";
        };
        ConvLayerShape s = tiny ? ConvLayerShape.byName(layer).tiny() : ConvLayerShape.byName(layer);
        trial = BenchDevice.open(device, tiny);
        skipReason = trial.skipReason();
        if (skipReason == null && impl.equals("cudnn")) {
            skipReason = BenchDevice.cudnnUnavailable(trial);
        }
        if (skipReason == null && impl.equals("ours-kernel-gemm")) {
            skipReason = trial.gpu() ? null : "our SGEMM kernel needs a GPU";
        }
        if (skipReason != null) {
            BenchDevice.skip("ConvBenchmark." + method, "layer=" + layer + ", impl=" + impl, skipReason);
            return;
        }
        backend = trial.backend();
        if (impl.equals("ours-kernel-gemm")) {
            kernelGemmBackend = openWithKernelGemm();
            backend = kernelGemmBackend;
        }
        spec = s.spec();
        x = BenchDevice.random(backend, s.inputShape(), 1);
        w = BenchDevice.random(backend, s.weightShape(), 2);
        y = BenchDevice.random(backend, s.outputShape(), 3); // dy for the backward passes
        dx = backend.allocate(s.inputShape());
        dw = backend.allocate(s.weightShape());
        if (impl.equals("cudnn")) {
            cudnnConv = new CudnnConvolution(BenchDevice.cudnn(), s.inputShape(), s.weightShape(), spec);
            System.out.println("# cuDNN " + layer + " " + cudnnConv.prepare(pass));
        } else if (trial.gpu()) {
            System.out.println("# ours " + layer + " " + pass + ": column workspace "
                    + CudaBackend.convWorkspaceBytes(s.inputShape(), s.weightShape(), spec)
                    + " bytes, GEMM " + ((CudaBackend) backend).gemmProvider().name());
        }
        backend.synchronize();
    }

    private static CudaBackend openWithKernelGemm() {
        String previous = System.getProperty("convnet4j.gemm");
        System.setProperty("convnet4j.gemm", "kernel");
        try {
            return CudaBackend.open();
        } finally {
            if (previous == null) {
                System.clearProperty("convnet4j.gemm");
            } else {
                System.setProperty("convnet4j.gemm", previous);
            }
        }
    }

    @Benchmark
    public void forward(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnConv != null) {
            cudnnConv.forward(x, w, y);
        } else {
            backend.conv2dForward(x, w, null, spec, y);
        }
        backend.synchronize();
    }

    @Benchmark
    public void backwardData(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnConv != null) {
            cudnnConv.backwardData(y, w, dx);
        } else {
            backend.conv2dBackwardData(y, w, spec, dx);
        }
        backend.synchronize();
    }

    @Benchmark
    public void backwardFilter(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnConv != null) {
            cudnnConv.backwardFilter(x, y, dw);
        } else {
            backend.conv2dBackwardFilter(x, y, spec, dw, null);
        }
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {cudnnConv, x, w, y, dx, dw, kernelGemmBackend, trial}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("ConvBenchmark teardown: " + e.getMessage(), e);
                }
            }
        }
    }

}
