package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaTestAccess;
import org.convnet4j.nativetest.ConvolutionOpsTest.ConvCase;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The convolution family's FFT algorithm (CudaConvolutionFft, cuFFT's transforms around our pad, product and crop
 * kernels), run directly against the CPU backend's im2col convolution, every pass, outputs poisoned with NaN
 * first: odd shapes (non-square filters and images, odd tile widths, padding 0 and above half the filter, C = 1,
 * K = 1, an output of one element) and AlexNet's conv2 (64 -> 192, 27x27, 5x5, padding 2) at batch 128, in two
 * chunks of 64. cuFFT must load here (a CUDA 13 machine): a missing libcufft.so.12 fails with its load error.
 *
 * <p>Tolerance, from the measured error (docs/convolution-algorithms.md): in the kernel emulation, with the
 * transforms exact or all in float (which brackets cuFFT's), max|FFT - float64| / max|float64| was at most
 * 3.4e-7 on AlexNet's conv2, every pass; a float32 direct sum's was up to 3.0e-6 (Winograd's measurement). The
 * FFT spreads each element's rounding over the whole plane, so the bound is relative to the tensor's largest
 * magnitude: floor 1e-5, about 3x their sum, tighter than the im2col GEMM's 1e-4.
 */
class FftConvolutionOpsTest extends NativeOpTest {
    static final Tolerance FFT = new Tolerance(1e-4, 1e-5, "FFT: measured 3.4e-7 + direct 3.0e-6 of max");

    private static CudaTestAccess.ConvPasses fft;

    @BeforeAll
    static void needsCuda() {
        assumeFalse(NativeBackends.cpuStandIn(), "the FFT convolution runs on the CUDA backend only");
        fft = CudaTestAccess.fft((CudaBackend) both.gpu);
    }

    static List<ConvCase> cases() {
        return List.of(
                new ConvCase("C=1 K=1 5x3 pad 0x1", Shape.of(1, 1, 5, 6), Shape.of(1, 1, 5, 3),
                        new ConvSpec(1, 1, 0, 1, 1, 1, OutputRounding.EXACT), true),
                new ConvCase("7x9 3x3 pad 1", Shape.of(3, 2, 7, 9), Shape.of(3, 2, 3, 3), ConvSpec.of(1, 1), true),
                new ConvCase("6x11 3x5 pad 2x0", Shape.of(2, 3, 6, 11), Shape.of(2, 3, 3, 5),
                        new ConvSpec(1, 1, 2, 0, 1, 1, OutputRounding.EXACT), true),
                new ConvCase("1x1 output", Shape.of(2, 1, 3, 3), Shape.of(4, 1, 3, 3), ConvSpec.of(1, 0), true),
                new ConvCase("pad 3 on 3x3", Shape.of(1, 2, 4, 5), Shape.of(2, 2, 3, 3), ConvSpec.of(1, 3), false),
                new ConvCase("7x7 pad 3, 35 channels", Shape.of(5, 35, 13, 10), Shape.of(33, 35, 7, 7),
                        ConvSpec.of(1, 3), true),
                new ConvCase("AlexNet conv2, batch 128", Shape.of(128, 64, 27, 27), Shape.of(192, 64, 5, 5),
                        ConvSpec.of(1, 2), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forward(ConvCase k) {
        Twin x = both.uniform(k.x());
        Twin w = both.uniform(k.w());
        Twin b = k.bias() ? both.uniform(Shape.of(k.w().n())) : null;
        Twin y = both.output(k.y());
        both.cpu.conv2dForward(x.cpu(), w.cpu(), k.bias() ? b.cpu() : null, k.spec(), y.cpu());
        fft.forward(x.gpu(), w.gpu(), k.bias() ? b.gpu() : null, k.spec(), y.gpu());
        both.check("fft forward y, " + k.name(), y, FFT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardData(ConvCase k) {
        Twin w = both.uniform(k.w());
        Twin dy = both.uniform(k.y());
        Twin dx = both.output(k.x());
        both.cpu.conv2dBackwardData(dy.cpu(), w.cpu(), k.spec(), dx.cpu());
        fft.backwardData(dy.gpu(), w.gpu(), k.spec(), dx.gpu());
        both.check("fft backward data dx, " + k.name(), dx, FFT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardFilter(ConvCase k) {
        Twin x = both.uniform(k.x());
        Twin dy = both.uniform(k.y());
        Twin dw = both.accumulator(k.w());
        both.cpu.conv2dBackwardFilter(x.cpu(), dy.cpu(), k.spec(), dw.cpu(), null);
        fft.backwardFilter(x.gpu(), dy.gpu(), k.spec(), dw.gpu());
        both.check("fft backward filter dw (accumulated), " + k.name(), dw, FFT);
    }

    /**
     * Deterministic, as the registry says: every pass twice on the same inputs gives the same bits (the product
     * sums in order; cuFFT's part is what this checks on the GPU).
     */
    @Test
    void everyPassTwiceGivesTheSameBits() {
        ConvCase k = cases().get(cases().size() - 1); // AlexNet conv2, two chunks
        Twin x = both.uniform(k.x());
        Twin w = both.uniform(k.w());
        Twin dy = both.uniform(k.y());
        Twin y = both.output(k.y());
        Twin dx = both.output(k.x());
        Twin dw = both.output(k.w());
        List<int[]> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            both.gpu.fill(dw.gpu(), 0f);
            fft.forward(x.gpu(), w.gpu(), null, k.spec(), y.gpu());
            fft.backwardData(dy.gpu(), w.gpu(), k.spec(), dx.gpu());
            fft.backwardFilter(x.gpu(), dy.gpu(), k.spec(), dw.gpu());
            float[] all = concat(both.gpuValues(y), both.gpuValues(dx), both.gpuValues(dw));
            int[] bits = new int[all.length];
            for (int i = 0; i < all.length; i++) {
                bits[i] = Float.floatToRawIntBits(all[i]);
            }
            runs.add(bits);
        }
        assertArrayEquals(runs.get(0), runs.get(1), "y, dx, dw of two runs");
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Through the backend's registry: forced fft runs where it applies, and every pass reports it. */
    @Test
    void theRegistryRunsFftWhenForced() {
        CudaBackend gpu = (CudaBackend) both.gpu;
        ConvCase k = cases().get(1);
        Twin x = both.uniform(k.x());
        Twin w = both.uniform(k.w());
        Twin y = both.output(k.y());
        Twin dx = both.output(k.x());
        Twin dw = both.accumulator(k.w());
        Twin dy = both.uniform(k.y());
        gpu.requestConvAlgorithm("fft");
        try {
            both.cpu.conv2dForward(x.cpu(), w.cpu(), null, k.spec(), y.cpu());
            gpu.conv2dForward(x.gpu(), w.gpu(), null, k.spec(), y.gpu());
            both.cpu.conv2dBackward(x.cpu(), dy.cpu(), w.cpu(), k.spec(), dx.cpu(), dw.cpu(), null);
            gpu.conv2dBackward(x.gpu(), dy.gpu(), w.gpu(), k.spec(), dx.gpu(), dw.gpu(), null);
        } finally {
            gpu.requestConvAlgorithm("auto");
        }
        both.check("registry fft forward y", y, FFT);
        both.check("registry fft backward data dx", dx, FFT);
        both.check("registry fft backward filter dw", dw, FFT);
        List<String> used = gpu.convAlgorithmsUsed();
        for (String pass : List.of("forward", "backward filter", "backward data")) {
            assertEquals(1, used.stream().filter(l -> l.startsWith("x 3x2x7x9, w 3x2x3x3") && l.contains(", " + pass
                    + ": fft (forced)")).count(), pass + " in " + used);
        }
    }
}
