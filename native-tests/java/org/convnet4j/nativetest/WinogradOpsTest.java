package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaTestAccess;
import org.convnet4j.nativetest.ConvolutionOpsTest.ConvCase;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The convolution family's Winograd algorithms, F(2x2,3x3) and F(4x4,3x3) (CudaConvolutionWinograd), run
 * directly against the CPU backend's im2col convolution, every pass, on odd shapes: H and W not multiples of the
 * tile, C = 1, K = 1, padding 0 to 3, an output of one element, batches, and AlexNet's conv3 at batch 2.
 *
 * <p>Tolerances, from the measured error (docs/convolution-algorithms.md): on AlexNet's conv3-5 in the kernel
 * emulation, max|Winograd - float64| / max|float64| was at most 9.2e-7 for F(2x2,3x3) and 1.59e-5 for F(4x4,3x3),
 * every pass; a float32 direct sum's was at most 3.0e-6. The CPU-GPU difference is bounded by the sum of the
 * two, and the Winograd error is spread over a tile (a transform mixes every element of it), so it is bounded
 * relative to the tensor's largest magnitude: floor 1e-5 (F(2x2,3x3)) and 5e-5 (F(4x4,3x3)), about 2.6x the
 * measured sum, both tighter than the im2col GEMM's 1e-4.
 */
class WinogradOpsTest extends NativeOpTest {
    static final Tolerance F2 = new Tolerance(1e-4, 1e-5,
            "Winograd F(2x2,3x3): measured 9.2e-7 + direct 3.0e-6 of max");
    static final Tolerance F4 = new Tolerance(1e-4, 5e-5,
            "Winograd F(4x4,3x3): measured 1.59e-5 + direct 3.0e-6 of max");

    @BeforeAll
    static void needsCuda() {
        assumeFalse(NativeBackends.cpuStandIn(), "Winograd runs on the CUDA backend only");
    }

    static List<ConvCase> shapes() {
        return List.of(
                new ConvCase("C=1 K=1 pad 0", Shape.of(1, 1, 5, 6), Shape.of(1, 1, 3, 3), ConvSpec.of(1, 0), true),
                new ConvCase("7x9 pad 1", Shape.of(3, 2, 7, 9), Shape.of(3, 2, 3, 3), ConvSpec.of(1, 1), true),
                new ConvCase("K=1 6x11 pad 2", Shape.of(2, 3, 6, 11), Shape.of(1, 3, 3, 3), ConvSpec.of(1, 2), true),
                new ConvCase("pad 3", Shape.of(1, 2, 4, 5), Shape.of(2, 2, 3, 3), ConvSpec.of(1, 3), false),
                new ConvCase("1x1 output", Shape.of(2, 1, 3, 3), Shape.of(4, 1, 3, 3), ConvSpec.of(1, 0), true),
                new ConvCase("35 channels 13x10", Shape.of(5, 35, 13, 10), Shape.of(33, 35, 3, 3), ConvSpec.of(1, 1),
                        false),
                new ConvCase("AlexNet conv3, batch 2", Shape.of(2, 256, 13, 13), Shape.of(384, 256, 3, 3),
                        ConvSpec.of(1, 1), true));
    }

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int tile : new int[] {2, 4}) {
            for (ConvCase k : shapes()) {
                out.add(Arguments.of(tile, k));
            }
        }
        return out;
    }

    private static CudaTestAccess.ConvPasses winograd(int tile) {
        return CudaTestAccess.winograd((CudaBackend) both.gpu, tile);
    }

    private static Tolerance tolerance(int tile) {
        return tile == 2 ? F2 : F4;
    }

    @ParameterizedTest(name = "F({0}x{0},3x3) {1}")
    @MethodSource("cases")
    void forward(int tile, ConvCase k) {
        Twin x = both.uniform(k.x());
        Twin w = both.uniform(k.w());
        Twin b = k.bias() ? both.uniform(Shape.of(k.w().n())) : null;
        Twin y = both.output(k.y());
        both.cpu.conv2dForward(x.cpu(), w.cpu(), k.bias() ? b.cpu() : null, k.spec(), y.cpu());
        winograd(tile).forward(x.gpu(), w.gpu(), k.bias() ? b.gpu() : null, k.spec(), y.gpu());
        both.check("winograd" + tile + " forward y, " + k.name(), y, tolerance(tile));
    }

    @ParameterizedTest(name = "F({0}x{0},3x3) {1}")
    @MethodSource("cases")
    void backwardData(int tile, ConvCase k) {
        Twin w = both.uniform(k.w());
        Twin dy = both.uniform(k.y());
        Twin dx = both.output(k.x());
        both.cpu.conv2dBackwardData(dy.cpu(), w.cpu(), k.spec(), dx.cpu());
        winograd(tile).backwardData(dy.gpu(), w.gpu(), k.spec(), dx.gpu());
        both.check("winograd" + tile + " backward data dx, " + k.name(), dx, tolerance(tile));
    }

    @ParameterizedTest(name = "F({0}x{0},3x3) {1}")
    @MethodSource("cases")
    void backwardFilter(int tile, ConvCase k) {
        Twin x = both.uniform(k.x());
        Twin dy = both.uniform(k.y());
        Twin dw = both.accumulator(k.w());
        both.cpu.conv2dBackwardFilter(x.cpu(), dy.cpu(), k.spec(), dw.cpu(), null);
        winograd(tile).backwardFilter(x.gpu(), dy.gpu(), k.spec(), dw.gpu());
        both.check("winograd" + tile + " backward filter dw (accumulated), " + k.name(), dw, tolerance(tile));
    }
}
