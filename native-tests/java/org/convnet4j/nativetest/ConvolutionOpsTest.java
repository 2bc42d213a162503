package org.convnet4j.nativetest;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.OutputSize;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Convolution forward, backward data and backward filter: CUDA (im2col + GEMM provider) against the CPU,
 * on odd shapes (stride 3 with pad 2, 1x1, non-square windows and strides, dilation 2, batch 1, channel
 * counts that are not multiples of 32, floor rounding), grouped (2 groups, 3 groups, depthwise: groups = C, with
 * the CaffeNet conv2 shape at batch 2), and on random shapes from a fixed seed. Outputs are poisoned with NaN first.
 */
class ConvolutionOpsTest extends NativeOpTest {

    /** One convolution: input and weight shapes, spec, whether it has a bias. */
    record ConvCase(String name, Shape x, Shape w, ConvSpec spec, boolean bias) {
        Shape y() {
            return spec.outputShape(name, x, w);
        }

        @Override
        public String toString() {
            return name + " x" + x + " w" + w + " stride " + spec.strideH() + "x" + spec.strideW() + " pad "
                    + spec.padH() + "x" + spec.padW() + " dilation " + spec.dilationH() + "x" + spec.dilationW()
                    + " groups " + spec.groups() + " " + spec.rounding() + (bias ? " bias" : " no bias");
        }
    }

    static List<ConvCase> cases() {
        List<ConvCase> cases = new ArrayList<>(List.of(
                new ConvCase("3x3 pad 1", Shape.of(2, 3, 11, 13), Shape.of(5, 3, 3, 3), ConvSpec.of(1, 1), true),
                new ConvCase("5x5 stride 3 pad 2", Shape.of(3, 4, 13, 16), Shape.of(6, 4, 5, 5), ConvSpec.of(3, 2), true),
                new ConvCase("1x1", Shape.of(2, 33, 7, 5), Shape.of(17, 33, 1, 1), ConvSpec.of(1, 0), true),
                new ConvCase("3x3 dilation 2 pad 2", Shape.of(1, 5, 12, 10), Shape.of(7, 5, 3, 3),
                        ConvSpec.of(1, 2).withDilation(2, 2), true),
                new ConvCase("3x5 stride 2x1 pad 1x2", Shape.of(2, 3, 9, 8), Shape.of(4, 3, 3, 5),
                        new ConvSpec(2, 1, 1, 2, 1, 1, OutputRounding.EXACT), true),
                new ConvCase("batch 1, 35 channels, no bias", Shape.of(1, 35, 6, 6), Shape.of(40, 35, 3, 3),
                        ConvSpec.of(1, 0), false),
                new ConvCase("LeNet conv1", Shape.of(8, 1, 28, 28), Shape.of(6, 1, 5, 5), ConvSpec.of(1, 2), true),
                new ConvCase("LeNet conv2", Shape.of(8, 6, 14, 14), Shape.of(16, 6, 5, 5), ConvSpec.of(1, 0), true),
                new ConvCase("3x3 stride 2 floor", Shape.of(2, 3, 10, 10), Shape.of(4, 3, 3, 3),
                        ConvSpec.of(2, 0).withRounding(OutputRounding.FLOOR), true),
                new ConvCase("AlexNet-like 11x11 stride 4 pad 2", Shape.of(2, 3, 67, 67), Shape.of(12, 3, 11, 11),
                        ConvSpec.of(4, 2).withRounding(OutputRounding.FLOOR), true),
                new ConvCase("2 groups 3x3 pad 1", Shape.of(2, 6, 11, 13), Shape.of(10, 3, 3, 3),
                        ConvSpec.of(1, 1).withGroups(2), true),
                new ConvCase("2 groups 3x5 stride 2x1 dilation 1x2, no bias", Shape.of(3, 34, 9, 12),
                        Shape.of(18, 17, 3, 5), new ConvSpec(2, 1, 1, 2, 1, 2, OutputRounding.FLOOR, 2), false),
                new ConvCase("3 groups 1x1", Shape.of(2, 9, 7, 5), Shape.of(12, 3, 1, 1), ConvSpec.of(1, 0).withGroups(3),
                        true),
                new ConvCase("depthwise 3x3 pad 1 (groups = C = 32)", Shape.of(2, 32, 14, 14), Shape.of(32, 1, 3, 3),
                        ConvSpec.of(1, 1).withGroups(32), true),
                new ConvCase("depthwise 5x5 stride 2, multiplier 2 (groups = C = 7)", Shape.of(3, 7, 15, 15),
                        Shape.of(14, 1, 5, 5), ConvSpec.of(2, 2).withGroups(7), true),
                new ConvCase("CaffeNet conv2 (2 groups, 5x5 pad 2), batch 2", Shape.of(2, 96, 27, 27),
                        Shape.of(256, 48, 5, 5), ConvSpec.of(1, 2).withGroups(2), true)));
        SplittableRandom r = new SplittableRandom(20261123);
        int fixed = cases.size();
        while (cases.size() < fixed + 6) {
            int n = 1 + r.nextInt(3);
            int c = 1 + r.nextInt(40);
            int h = 4 + r.nextInt(17);
            int wd = 4 + r.nextInt(17);
            int fn = 1 + r.nextInt(40);
            int fh = 1 + r.nextInt(5);
            int fw = 1 + r.nextInt(5);
            ConvSpec spec = new ConvSpec(1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(3), r.nextInt(3),
                    1 + r.nextInt(2), 1 + r.nextInt(2), OutputRounding.FLOOR);
            if (h + 2 * spec.padH() - spec.dilationH() * (fh - 1) - 1 < 0
                    || wd + 2 * spec.padW() - spec.dilationW() * (fw - 1) - 1 < 0) {
                continue; // window larger than the padded input
            }
            OutputSize.of("random", h, fh, spec.strideH(), spec.padH(), spec.dilationH(), OutputRounding.FLOOR);
            cases.add(new ConvCase("random " + cases.size(), Shape.of(n, c, h, wd), Shape.of(fn, c, fh, fw), spec,
                    r.nextBoolean()));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forward(ConvCase k) {
        Twin x = both.uniform(k.x());
        Twin w = both.uniform(k.w());
        Twin b = k.bias() ? both.uniform(Shape.of(k.w().n())) : null;
        Twin y = both.output(k.y());
        both.cpu.conv2dForward(x.cpu(), w.cpu(), k.bias() ? b.cpu() : null, k.spec(), y.cpu());
        both.gpu.conv2dForward(x.gpu(), w.gpu(), k.bias() ? b.gpu() : null, k.spec(), y.gpu());
        both.check("conv2dForward y, " + k.name(), y, Tolerance.GEMM);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardData(ConvCase k) {
        Twin w = both.uniform(k.w());
        Twin dy = both.uniform(k.y());
        Twin dx = both.output(k.x());
        both.cpu.conv2dBackwardData(dy.cpu(), w.cpu(), k.spec(), dx.cpu());
        both.gpu.conv2dBackwardData(dy.gpu(), w.gpu(), k.spec(), dx.gpu());
        both.check("conv2dBackwardData dx, " + k.name(), dx, Tolerance.GEMM);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardFilter(ConvCase k) {
        Twin x = both.uniform(k.x());
        Twin dy = both.uniform(k.y());
        Twin dw = both.accumulator(k.w());
        Twin db = k.bias() ? both.accumulator(Shape.of(k.w().n())) : null;
        both.cpu.conv2dBackwardFilter(x.cpu(), dy.cpu(), k.spec(), dw.cpu(), k.bias() ? db.cpu() : null);
        both.gpu.conv2dBackwardFilter(x.gpu(), dy.gpu(), k.spec(), dw.gpu(), k.bias() ? db.gpu() : null);
        both.check("conv2dBackwardFilter dw (accumulated), " + k.name(), dw, Tolerance.GEMM);
        if (k.bias()) {
            both.check("conv2dBackwardFilter dbias (accumulated), " + k.name(), db, Tolerance.REDUCTION);
        }
    }

    /**
     * The filter gradient through our own GEMM kernel, which gets a long K in slices summed in order (cuBLAS
     * splits K itself): LeNet conv1 and conv2 at batch 64, K = 50176 in 49 slices and 6400 in 6; and grouped, where
     * the slices are batched group by group: LeNet conv2 depthwise-like (6 groups) and in 2 groups.
     */
    @Test
    void backwardFilterWithOurGemmCutsKIntoSlices() {
        try (CpuGpu kernel = CpuGpu.openWithKernelGemm()) {
            kernel.reseed(5);
            for (ConvCase k : List.of(
                    new ConvCase("LeNet conv1, batch 64", Shape.of(64, 1, 28, 28), Shape.of(6, 1, 5, 5), ConvSpec.of(1, 2), true),
                    new ConvCase("LeNet conv2, batch 64", Shape.of(64, 6, 14, 14), Shape.of(16, 6, 5, 5), ConvSpec.of(1, 0), true),
                    new ConvCase("LeNet conv2 depthwise, batch 64", Shape.of(64, 6, 14, 14), Shape.of(6, 1, 5, 5),
                            ConvSpec.of(1, 0).withGroups(6), true),
                    new ConvCase("LeNet conv2 in 2 groups, batch 64", Shape.of(64, 6, 14, 14), Shape.of(16, 3, 5, 5),
                            ConvSpec.of(1, 0).withGroups(2), true))) {
                Twin x = kernel.uniform(k.x());
                Twin dy = kernel.uniform(k.y());
                Twin dw = kernel.accumulator(k.w());
                Twin db = kernel.accumulator(Shape.of(k.w().n()));
                kernel.cpu.conv2dBackwardFilter(x.cpu(), dy.cpu(), k.spec(), dw.cpu(), db.cpu());
                kernel.gpu.conv2dBackwardFilter(x.gpu(), dy.gpu(), k.spec(), dw.gpu(), db.gpu());
                kernel.check("conv2dBackwardFilter dw with our GEMM (accumulated), " + k.name(), dw, Tolerance.GEMM);
                kernel.check("conv2dBackwardFilter dbias with our GEMM (accumulated), " + k.name(), db,
                        Tolerance.REDUCTION);
            }
        }
    }

    /** A layer's two backward passes in one call (dy copied to the GEMM layout once): both gradients. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardBothPasses(ConvCase k) {
        Twin x = both.uniform(k.x());
        Twin w = both.uniform(k.w());
        Twin dy = both.uniform(k.y());
        Twin dx = both.output(k.x());
        Twin dw = both.accumulator(k.w());
        Twin db = k.bias() ? both.accumulator(Shape.of(k.w().n())) : null;
        both.cpu.conv2dBackward(x.cpu(), dy.cpu(), w.cpu(), k.spec(), dx.cpu(), dw.cpu(), k.bias() ? db.cpu() : null);
        both.gpu.conv2dBackward(x.gpu(), dy.gpu(), w.gpu(), k.spec(), dx.gpu(), dw.gpu(), k.bias() ? db.gpu() : null);
        both.check("conv2dBackward dx, " + k.name(), dx, Tolerance.GEMM);
        both.check("conv2dBackward dw (accumulated), " + k.name(), dw, Tolerance.GEMM);
        if (k.bias()) {
            both.check("conv2dBackward dbias (accumulated), " + k.name(), db, Tolerance.REDUCTION);
        }
    }

    /** Odd shapes for every algorithm: H, W not multiples of any tile, C = 1, K = 1, padding 0 and 2, batch 1. */
    static List<ConvCase> oddCases() {
        return List.of(
                new ConvCase("3x3 pad 1, 7x9", Shape.of(2, 3, 7, 9), Shape.of(5, 3, 3, 3), ConvSpec.of(1, 1), true),
                new ConvCase("3x3 pad 0, C=1, 13x11", Shape.of(3, 1, 13, 11), Shape.of(4, 1, 3, 3), ConvSpec.of(1, 0), true),
                new ConvCase("3x3 pad 2, K=1, 5x6", Shape.of(1, 6, 5, 6), Shape.of(1, 6, 3, 3), ConvSpec.of(1, 2), true),
                new ConvCase("3x3 pad 1, 3x3 input, 33 channels", Shape.of(2, 33, 3, 3), Shape.of(17, 33, 3, 3),
                        ConvSpec.of(1, 1), false),
                new ConvCase("3x3 pad 1, AlexNet conv5-like 13x13", Shape.of(2, 24, 13, 13), Shape.of(16, 24, 3, 3),
                        ConvSpec.of(1, 1), true),
                new ConvCase("5x5 pad 2 (not 3x3)", Shape.of(2, 3, 9, 10), Shape.of(4, 3, 5, 5), ConvSpec.of(1, 2), true),
                new ConvCase("3x3 stride 2 (not stride 1)", Shape.of(2, 3, 9, 9), Shape.of(4, 3, 3, 3), ConvSpec.of(2, 1),
                        true),
                new ConvCase("3x3 pad 1, 2 groups", Shape.of(2, 8, 7, 9), Shape.of(6, 4, 3, 3),
                        ConvSpec.of(1, 1).withGroups(2), true),
                new ConvCase("3x3 pad 1, depthwise", Shape.of(2, 5, 9, 7), Shape.of(5, 1, 3, 3),
                        ConvSpec.of(1, 1).withGroups(5), true));
    }

    /** Each algorithm of the GPU's registry, forced, on each odd shape: all three passes against the CPU. */
    static List<Object[]> algorithmCases() {
        List<Object[]> out = new ArrayList<>();
        for (ConvAlgorithms.Algorithm a : ConvAlgorithms.ALGORITHMS) {
            for (ConvCase k : oddCases()) {
                out.add(new Object[] {a.name(), k});
            }
        }
        return out;
    }

    /**
     * Forced algorithm on one odd shape: forward, backward data, backward filter (and the bias), each against the
     * CPU; where the algorithm does not apply, im2col runs, and the backend's report says so.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("algorithmCases")
    void everyAlgorithmOnOddShapes(String algorithm, ConvCase k) {
        CudaBackend gpu = (CudaBackend) both.gpu;
        gpu.requestConvAlgorithm(algorithm);
        try {
            Tolerance tol = tolerance(algorithm);
            Twin x = both.uniform(k.x());
            Twin w = both.uniform(k.w());
            Twin b = both.uniform(Shape.of(k.w().n()));
            Twin y = both.output(k.y());
            both.cpu.conv2dForward(x.cpu(), w.cpu(), b.cpu(), k.spec(), y.cpu());
            both.gpu.conv2dForward(x.gpu(), w.gpu(), b.gpu(), k.spec(), y.gpu());
            both.check(algorithm + " forward y, " + k.name(), y, tol);
            Twin dy = both.uniform(k.y());
            Twin dx = both.output(k.x());
            Twin dw = both.accumulator(k.w());
            Twin db = both.accumulator(Shape.of(k.w().n()));
            both.cpu.conv2dBackward(x.cpu(), dy.cpu(), w.cpu(), k.spec(), dx.cpu(), dw.cpu(), db.cpu());
            both.gpu.conv2dBackward(x.gpu(), dy.gpu(), w.gpu(), k.spec(), dx.gpu(), dw.gpu(), db.gpu());
            both.check(algorithm + " backward data dx, " + k.name(), dx, tol);
            both.check(algorithm + " backward filter dw (accumulated), " + k.name(), dw, tol);
            both.check(algorithm + " dbias (accumulated), " + k.name(), db, Tolerance.REDUCTION);
            String shapes = "x " + k.x().n() + "x" + k.x().c() + "x" + k.x().h() + "x" + k.x().w() + ", w " + k.w().n()
                    + "x" + k.w().c() + "x" + k.w().h() + "x" + k.w().w() + ", stride " + k.spec().strideH() + "x"
                    + k.spec().strideW() + ", pad " + k.spec().padH() + "x" + k.spec().padW()
                    + (k.spec().groups() == 1 ? ", " : ", groups " + k.spec().groups() + ", ");
            List<String> used = gpu.convAlgorithmsUsed().stream().filter(l -> l.startsWith(shapes)).toList();
            Assertions.assertEquals(3, used.size(), String.join("\n", used));
            for (String line : used) {
                Assertions.assertTrue(line.contains(": " + algorithm + " (forced)")
                        || line.contains(": im2col (forced " + algorithm + " does not apply"), line);
            }
        } finally {
            gpu.requestConvAlgorithm(ConvAlgorithms.AUTO);
        }
    }

    /** How far an algorithm's results may be from the CPU's direct im2col + GEMM. */
    private static Tolerance tolerance(String algorithm) {
        return switch (algorithm) {
            case "winograd2x2" -> WinogradOpsTest.F2;
            case "winograd4x4" -> WinogradOpsTest.F4;
            default -> Tolerance.GEMM;
        };
    }

    @Test
    void groupsThatDoNotDivideTheChannelsAreRejectedLikeOnTheCpu() {
        Twin x = both.uniform(Shape.of(1, 6, 8, 8));
        Twin w = both.uniform(Shape.of(4, 2, 3, 3));
        Twin y = both.output(Shape.of(1, 4, 6, 6));
        ConvSpec spec = ConvSpec.of(1, 0).withGroups(4);
        rejectedByBoth("conv2dForward with 6 channels in 4 groups", IllegalArgumentException.class,
                () -> both.cpu.conv2dForward(x.cpu(), w.cpu(), null, spec, y.cpu()),
                () -> both.gpu.conv2dForward(x.gpu(), w.gpu(), null, spec, y.gpu()));
    }

    @Test
    void channelMismatchIsRejectedLikeOnTheCpu() {
        Twin x = both.uniform(Shape.of(1, 3, 8, 8));
        Twin w = both.uniform(Shape.of(4, 2, 3, 3));
        Twin y = both.output(Shape.of(1, 4, 6, 6));
        rejectedByBoth("conv2dForward with 3 input channels and weights for 2", IllegalArgumentException.class,
                () -> both.cpu.conv2dForward(x.cpu(), w.cpu(), null, ConvSpec.of(1, 0), y.cpu()),
                () -> both.gpu.conv2dForward(x.gpu(), w.gpu(), null, ConvSpec.of(1, 0), y.gpu()));
    }
}
