package org.convnet4j.bench;

import java.util.Map;
import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudnnConvolution;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Convolution, each pass on its own: forward (y = conv(x, W)), backward data (dx from dy and W) and
 * backward filter (dW += from x and dy), for every layer of {@link ConvLayerShape#ALL} (LeNet-5, AlexNet,
 * CaffeNet's grouped layers, AlexNet-OWT and VGG-16 at bench_torch.py's batches), ours against cuDNN on the same
 * card (cuDNN's grouped convolution through its group count for CaffeNet's).
 *
 * <p>impl: "ours" is the backend's op with the algorithm {@code algo} names (auto: its find step picks the
 * fastest applicable one on the first call, a warm-up call; im2col: im2col + the GEMM provider it picked,
 * col2im for backward data; winograd2x2 / winograd4x4: 3x3 stride-1 layers only, skipped elsewhere; fft: stride-1
 * layers with filters of 3x3 and larger, through cuFFT, skipped elsewhere and where cuFFT does not load);
 * "ours-kernel-gemm" the same with our own SGEMM kernel as provider (a second CUDA backend opened with
 * -Dconvnet4j.gemm=kernel); "cudnn" runs the algorithm cudnnFind* chose once in setup (FMA math, no TF32),
 * with the workspace it asked for. No bias on either side. Every call ends with a device synchronization,
 * so the time is the op's, launch to finish.
 *
 * <p>Throughput (computed by the report from the JSON, not here): {@link ConvLayerShape#flops()} =
 * 2 * N * FN * OH * OW * (C/groups) * K * K FLOP per pass, divided by the time (GFLOP/s beside the ms).
 */
public class ConvolutionBenchmark extends OpBenchmark {

    @Param({"lenet5/conv1", "lenet5/conv2", "alexnet/conv1", "alexnet/conv2", "alexnet/conv3", "alexnet/conv4",
            "alexnet/conv5", "caffenet/conv2", "caffenet/conv4", "caffenet/conv5", "alexnet-owt/conv1", "alexnet-owt/conv2", "alexnet-owt/conv3", "alexnet-owt/conv4",
            "alexnet-owt/conv5", "vgg16/conv1_1", "vgg16/conv1_2", "vgg16/conv2_1", "vgg16/conv2_2", "vgg16/conv3_1",
            "vgg16/conv3_2", "vgg16/conv4_1", "vgg16/conv4_2", "vgg16/conv5_1"})
    public String layer;

    @Param({"ours", "cudnn"})
    public String impl;

    /**
     * Our convolution algorithm: auto (the backend's find step) or one forced (skipped where it does not apply,
     * and on the CPU backend, which has im2col only); cuDNN runs only with auto (it picks its own best).
     */
    @Param({"auto", "im2col", "winograd2x2", "winograd4x4", "fft"})
    public String algo;

    private ConvSpec spec;
    private Tensor x;
    private Tensor w;
    private Tensor y;
    private Tensor dx;
    private Tensor dw;
    private CudnnConvolution cudnnConv;

    @Override
    protected String skipReason(String method) {
        if (!algo.equals(ConvAlgorithms.AUTO)) {
            if (impl.equals("cudnn")) {
                return "cuDNN picks its own algorithm (algo=auto)";
            }
            if (!gpu()) {
                return "the CPU backend runs im2col only (algo=auto)";
            }
            ConvLayerShape s = tiny ? ConvLayerShape.byName(layer).tiny() : ConvLayerShape.byName(layer);
            String why = ((CudaBackend) backend).convAlgorithmDoesNotApply(algo, s.inputShape(), s.weightShape(),
                    s.spec(), PASS.get(method));
            if (why != null) {
                return algo + " does not apply to " + layer + ": " + why;
            }
        }
        return switch (impl) {
            case "cudnn" -> cudnnUnavailable();
            case "ours-kernel-gemm" -> gpu() ? null : "our SGEMM kernel needs a GPU";
            default -> null;
        };
    }

    private static final Map<String, ConvPass> PASS = Map.of("forward", ConvPass.FORWARD, "backwardData",
            ConvPass.BACKWARD_DATA, "backwardFilter", ConvPass.BACKWARD_FILTER);

    @Override
    protected void setup(String method) {
        String pass = switch (method) {
            case "forward" -> "fwd";
            case "backwardData" -> "bwd_data";
            default -> "bwd_filter";
        };
        ConvLayerShape s = tiny ? ConvLayerShape.byName(layer).tiny() : ConvLayerShape.byName(layer);
        if (impl.equals("ours-kernel-gemm")) {
            backend = keep(openWithKernelGemm());
        }
        if (backend instanceof CudaBackend cuda) {
            cuda.requestConvAlgorithm(algo);
        }
        spec = s.spec();
        x = random(s.inputShape(), 1);
        w = random(s.weightShape(), 2);
        y = random(s.outputShape(), 3); // dy for the backward passes
        dx = zeros(s.inputShape());
        dw = zeros(s.weightShape());
        if (impl.equals("cudnn")) {
            cudnnConv = keep(new CudnnConvolution(cudnn(), s.inputShape(), s.weightShape(), spec));
            System.out.println("# cuDNN " + layer + " " + cudnnConv.prepare(pass));
        } else if (gpu()) {
            System.out.println("# ours " + layer + " " + pass + " algo " + algo + ": im2col workspace "
                    + CudaBackend.convWorkspaceBytes(s.inputShape(), s.weightShape(), spec)
                    + " bytes, GEMM " + ((CudaBackend) backend).gemmProvider().name());
        }
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
        measure(skips, () -> {
            if (cudnnConv != null) {
                cudnnConv.forward(x, w, y);
            } else {
                backend.conv2dForward(x, w, null, spec, y);
            }
        });
    }

    @Benchmark
    public void backwardData(Skips skips) {
        measure(skips, () -> {
            if (cudnnConv != null) {
                cudnnConv.backwardData(y, w, dx);
            } else {
                backend.conv2dBackwardData(y, w, spec, dx);
            }
        });
    }

    @Benchmark
    public void backwardFilter(Skips skips) {
        measure(skips, () -> {
            if (cudnnConv != null) {
                cudnnConv.backwardFilter(x, y, dw);
            } else {
                backend.conv2dBackwardFilter(x, y, spec, dw, null);
            }
        });
    }
}
