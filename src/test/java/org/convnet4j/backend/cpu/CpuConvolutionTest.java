package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Convolution forward and both backward passes against the direct loops of {@link DirectConvolution}. */
class CpuConvolutionTest extends CpuFamilyTest {
    /** The worked example: 4x4 input, 3x3 filter, padding 1 ("Deep Learning from Scratch", ch. 7). */
    @Test
    void workedExampleWithPadding() {
        float[] x = {1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1};
        float[] w = {2, 0, 1, 0, 1, 2, 1, 0, 2};
        try (Tensor tx = cpu.tensor(Shape.of(1, 1, 4, 4), x);
             Tensor tw = cpu.tensor(Shape.of(1, 1, 3, 3), w);
             Tensor ty = cpu.allocate(Shape.of(1, 1, 4, 4))) {
            cpu.conv2dForward(tx, tw, null, ConvSpec.of(1, 1), ty);
            assertArrayEquals(new float[] {7, 12, 10, 2, 4, 15, 16, 10, 10, 6, 15, 6, 8, 10, 4, 3},
                    cpu.toFloatArray(ty));
        }
    }

    /** The same input without padding gives the book's 2x2 result 15 16 / 6 15, and a bias adds to each. */
    @Test
    void workedExampleWithoutPaddingAndWithBias() {
        float[] x = {1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1};
        float[] w = {2, 0, 1, 0, 1, 2, 1, 0, 2};
        try (Tensor tx = cpu.tensor(Shape.of(1, 1, 4, 4), x);
             Tensor tw = cpu.tensor(Shape.of(1, 1, 3, 3), w);
             Tensor tb = cpu.tensor(Shape.of(1), new float[] {3});
             Tensor ty = cpu.allocate(Shape.of(1, 1, 2, 2))) {
            cpu.conv2dForward(tx, tw, tb, ConvSpec.of(1, 0), ty);
            assertArrayEquals(new float[] {18, 19, 9, 18}, cpu.toFloatArray(ty));
        }
    }

    /** n, c, h, w, fn, fh, fw, stride h/w, pad h/w, dilation h/w. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(2, 3, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1),     // plain 3x3 same
                Arguments.of(1, 2, 11, 11, 3, 3, 3, 3, 3, 2, 2, 1, 1),   // stride 3, padding 2, batch 1
                Arguments.of(3, 5, 6, 4, 7, 1, 1, 1, 1, 0, 0, 1, 1),     // 1x1 kernel (identity columns)
                Arguments.of(2, 4, 7, 5, 3, 1, 1, 2, 2, 0, 0, 1, 1),     // 1x1 kernel, stride 2
                Arguments.of(2, 3, 9, 13, 2, 3, 5, 2, 1, 1, 2, 1, 1),    // non-square input and kernel
                Arguments.of(2, 2, 10, 9, 3, 3, 3, 1, 1, 2, 2, 2, 2),    // dilation 2
                Arguments.of(1, 3, 11, 10, 2, 2, 3, 2, 3, 0, 1, 2, 1),   // mixed everything
                Arguments.of(3, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 1, 1),   // LeNet conv1
                Arguments.of(2, 3, 19, 19, 4, 11, 11, 4, 4, 0, 0, 1, 1), // AlexNet conv1 geometry, small
                Arguments.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1));    // 1x1 everything
    }

    @ParameterizedTest(name = "x[{0},{1},{2},{3}] w[{4},{1},{5},{6}] stride {7}x{8} pad {9}x{10} dil {11}x{12}")
    @MethodSource("shapes")
    void forwardAndBackwardMatchDirectLoops(int n, int c, int h, int w, int fn, int fh, int fw, int sh, int sw,
                                            int ph, int pw, int dh, int dw) {
        matchesDirectLoops(n, c, h, w, fn, fh, fw, sh, sw, ph, pw, dh, dw, 1);
    }

    /** Grouped: n, c, h, w, fn, fh, fw, stride h/w, pad h/w, dilation h/w, groups (1, 2, and C: depthwise). */
    static Stream<Arguments> groupedShapes() {
        return Stream.of(
                Arguments.of(2, 4, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),    // 2 groups, 3x3 same
                Arguments.of(1, 6, 11, 9, 4, 3, 2, 2, 3, 1, 0, 1, 2, 2),   // 2 groups, strides, dilation, non-square
                Arguments.of(3, 6, 9, 9, 6, 5, 5, 1, 1, 2, 2, 1, 1, 3),    // 3 groups, 5x5 (CaffeNet conv2-like)
                Arguments.of(2, 4, 6, 5, 8, 1, 1, 1, 1, 0, 0, 1, 1, 2),    // 2 groups, 1x1 (identity columns)
                Arguments.of(2, 5, 8, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1, 5),    // depthwise 3x3
                Arguments.of(2, 3, 11, 9, 6, 3, 3, 2, 1, 2, 1, 2, 1, 3),   // depthwise, multiplier 2, dilated
                Arguments.of(1, 4, 7, 7, 4, 1, 1, 2, 2, 0, 0, 1, 1, 4));   // depthwise 1x1 stride 2
    }

    @ParameterizedTest(name = "x[{0},{1},{2},{3}] w[{4},C/{13},{5},{6}] stride {7}x{8} pad {9}x{10} dil {11}x{12} "
            + "groups {13}")
    @MethodSource("groupedShapes")
    void groupedMatchesDirectLoops(int n, int c, int h, int w, int fn, int fh, int fw, int sh, int sw, int ph, int pw,
                                   int dh, int dw, int groups) {
        matchesDirectLoops(n, c, h, w, fn, fh, fw, sh, sw, ph, pw, dh, dw, groups);
    }

    /** With more threads than filters the filter gradient splits dW's columns, not its rows, across the groups. */
    @Test
    void groupedFilterGradientSplitByColumns() {
        DirectConvolution ref = new DirectConvolution(3, 6, 7, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        ConvSpec spec = ConvSpec.of(1, 1).withGroups(2);
        Shape xs = Shape.of(3, 6, 7, 8);
        Shape ys = Shape.of(3, 4, 7, 8);
        Shape ws = Shape.of(4, 3, 3, 3);
        float[] x = RandomTensors.uniform(41, xs.size());
        float[] dy = RandomTensors.uniform(42, ys.size());
        try (CpuBackend eight = new CpuBackend(8); Tensor tx = eight.tensor(xs, x); Tensor tdy = eight.tensor(ys, dy);
             Tensor tdw = eight.allocate(ws)) {
            eight.fill(tdw, 0f);
            eight.conv2dBackwardFilter(tx, tdy, spec, tdw, null);
            assertClose(ref.backwardFilter(x, dy), eight.toFloatArray(tdw), 1e-5, 1e-5, "8 threads, 4 filters");
        }
    }

    /** The three passes (y, dx poisoned with NaN first; dw, db accumulating) against {@link DirectConvolution}. */
    private void matchesDirectLoops(int n, int c, int h, int w, int fn, int fh, int fw, int sh, int sw, int ph,
                                    int pw, int dh, int dw, int groups) {
        DirectConvolution ref = new DirectConvolution(n, c, h, w, fn, fh, fw, sh, sw, ph, pw, dh, dw, groups);
        ConvSpec spec = new ConvSpec(sh, sw, ph, pw, dh, dw, OutputRounding.EXACT, groups);
        Shape xs = Shape.of(n, c, h, w);
        Shape ws = Shape.of(fn, c / groups, fh, fw);
        Shape ys = Shape.of(n, fn, ref.oh, ref.ow);
        assertEquals(ys, spec.outputShape("test", xs, ws));
        long seed = 31L * n + 7L * h + fh + 1000L * sh + dh;
        float[] x = RandomTensors.uniform(seed, xs.size());
        float[] wt = RandomTensors.uniform(seed + 1, ws.size());
        float[] b = RandomTensors.uniform(seed + 2, fn);
        float[] dy = RandomTensors.uniform(seed + 3, ys.size());
        float[] dw0 = RandomTensors.uniform(seed + 4, ws.size());
        float[] db0 = RandomTensors.uniform(seed + 5, fn);
        try (Tensor tx = cpu.tensor(xs, x); Tensor tw = cpu.tensor(ws, wt); Tensor tb = cpu.tensor(Shape.of(fn), b);
             Tensor ty = cpu.allocate(ys); Tensor tdy = cpu.tensor(ys, dy); Tensor tdx = cpu.allocate(xs);
             Tensor tdw = cpu.tensor(ws, dw0); Tensor tdb = cpu.tensor(Shape.of(fn), db0)) {
            cpu.fill(ty, Float.NaN);
            cpu.fill(tdx, Float.NaN);
            cpu.conv2dForward(tx, tw, tb, spec, ty);
            assertClose(ref.forward(x, wt, b), cpu.toFloatArray(ty), 1e-5, 1e-5, "conv forward");

            cpu.conv2dBackwardData(tdy, tw, spec, tdx);
            assertClose(ref.backwardData(dy, wt), cpu.toFloatArray(tdx), 1e-5, 1e-5, "conv backward data");

            // dw and db accumulate onto what they held.
            cpu.conv2dBackwardFilter(tx, tdy, spec, tdw, tdb);
            double[] dwExpected = ref.backwardFilter(x, dy);
            for (int i = 0; i < dwExpected.length; i++) {
                dwExpected[i] += dw0[i];
            }
            double[] dbExpected = ref.backwardBias(dy);
            for (int i = 0; i < fn; i++) {
                dbExpected[i] += db0[i];
            }
            assertClose(dwExpected, cpu.toFloatArray(tdw), 1e-4, 1e-5, "conv backward filter");
            assertClose(dbExpected, cpu.toFloatArray(tdb), 1e-4, 1e-5, "conv backward bias");
        }
    }

    /** FLOOR rounding drops the rows the window cannot reach, as PyTorch does. */
    @Test
    void floorRoundingDropsTheLastRows() {
        // 8x7 input, 3x3 filter, stride 2: (8-3)/2+1 = 3.5 -> 3 rows, (7-3)/2+1 = 3 columns.
        DirectConvolution ref = new DirectConvolution(2, 2, 8, 7, 3, 3, 3, 2, 2, 0, 0, 1, 1);
        ConvSpec spec = ConvSpec.of(2, 0).withRounding(OutputRounding.FLOOR);
        Shape xs = Shape.of(2, 2, 8, 7);
        Shape ws = Shape.of(3, 2, 3, 3);
        Shape ys = spec.outputShape("test", xs, ws);
        assertEquals(Shape.of(2, 3, 3, 3), ys);
        float[] x = RandomTensors.uniform(5, xs.size());
        float[] w = RandomTensors.uniform(6, ws.size());
        float[] dy = RandomTensors.uniform(7, ys.size());
        try (Tensor tx = cpu.tensor(xs, x); Tensor tw = cpu.tensor(ws, w); Tensor ty = cpu.allocate(ys);
             Tensor tdy = cpu.tensor(ys, dy); Tensor tdx = cpu.allocate(xs); Tensor tdw = cpu.allocate(ws)) {
            cpu.conv2dForward(tx, tw, null, spec, ty);
            assertClose(ref.forward(x, w, null), cpu.toFloatArray(ty), 1e-5, 1e-5, "floor forward");
            cpu.conv2dBackwardData(tdy, tw, spec, tdx);
            assertClose(ref.backwardData(dy, w), cpu.toFloatArray(tdx), 1e-5, 1e-5, "floor backward data");
            cpu.conv2dBackwardFilter(tx, tdy, spec, tdw, null);
            assertClose(ref.backwardFilter(x, dy), cpu.toFloatArray(tdw), 1e-5, 1e-5, "floor backward filter");
        }
    }

    /** A batch larger than the filter gradient's chunk of images still sums every image, in order. */
    @Test
    void filterGradientOverManyChunks() {
        // 1 x 64 x 64 input, 9x9 filter: 81 * 3136 floats of columns per image, so the 32 MiB chunk holds 33.
        int n = 40;
        DirectConvolution ref = new DirectConvolution(n, 1, 64, 64, 2, 9, 9, 1, 1, 2, 2, 1, 1);
        ConvSpec spec = ConvSpec.of(1, 2);
        Shape xs = Shape.of(n, 1, 64, 64);
        Shape ws = Shape.of(2, 1, 9, 9);
        Shape ys = Shape.of(n, 2, ref.oh, ref.ow);
        float[] x = RandomTensors.uniform(11, xs.size());
        float[] dy = RandomTensors.uniform(12, ys.size());
        try (Tensor tx = cpu.tensor(xs, x); Tensor tdy = cpu.tensor(ys, dy); Tensor tdw = cpu.allocate(ws);
             Tensor tdb = cpu.allocate(Shape.of(2))) {
            cpu.conv2dBackwardFilter(tx, tdy, spec, tdw, tdb);
            assertClose(ref.backwardFilter(x, dy), cpu.toFloatArray(tdw), 1e-3, 1e-5, "chunked filter gradient");
            assertClose(ref.backwardBias(dy), cpu.toFloatArray(tdb), 1e-3, 1e-5, "chunked bias gradient");
        }
    }
}
