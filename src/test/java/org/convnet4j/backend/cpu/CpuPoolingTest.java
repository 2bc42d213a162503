package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.stream.Stream;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Max and average pooling against direct window loops written here. */
class CpuPoolingTest extends CpuFamilyTest {
    /** The worked example: 2x2 max pooling, stride 2. */
    /** Global average pooling: each plane's mean, and dy / (H*W) spread back over it. */
    @Test
    void globalAveragePooling() {
        Shape sx = Shape.of(3, 4, 5, 6);
        float[] x = RandomTensors.uniform(11, sx.size());
        float[] dy = RandomTensors.uniform(12, 12);
        double[] want = new double[12];
        double[] wantDx = new double[sx.size()];
        for (int p = 0; p < 12; p++) {
            for (int j = 0; j < 30; j++) {
                want[p] += x[p * 30 + j] / 30.0;
                wantDx[p * 30 + j] = dy[p] / 30.0;
            }
        }
        try (Tensor tx = cpu.tensor(sx, x); Tensor ty = cpu.allocate(Shape.of(3, 4, 1, 1));
             Tensor tdy = cpu.tensor(Shape.of(3, 4, 1, 1), dy); Tensor tdx = cpu.allocate(sx)) {
            cpu.globalAvgPoolForward(tx, ty);
            assertClose(want, cpu.toFloatArray(ty), 1e-6, 1e-5, "global average forward");
            cpu.fill(tdx, Float.NaN);
            cpu.globalAvgPoolBackward(tdy, tdx);
            assertClose(wantDx, cpu.toFloatArray(tdx), 1e-7, 1e-6, "global average backward");
        }
    }

    @Test
    void workedExample() {
        float[] x = {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4};
        try (Tensor tx = cpu.tensor(Shape.of(1, 1, 4, 4), x);
             Tensor ty = cpu.allocate(Shape.of(1, 1, 2, 2));
             Tensor ts = cpu.allocate(Shape.of(1, 1, 2, 2), DataType.INT32)) {
            cpu.maxPoolForward(tx, PoolSpec.of(2, 2), ty, ts);
            assertArrayEquals(new float[] {6, 8, 3, 4}, cpu.toFloatArray(ty));
            // positions h*W + w in the 4x4 plane: 6 at (1,1), 8 at (1,3), 3 at (2,0), 4 at (3,3)
            assertArrayEquals(new int[] {5, 7, 8, 15}, cpu.toIntArray(ts));
        }
    }

    /** Ties go to the first position in row-major window order. */
    @Test
    void tiesGoToTheFirstPosition() {
        float[] x = {7, 7, 1, 2, 7, 7, 2, 2, 0, 0, 3, 3, 0, 0, 3, 3};
        try (Tensor tx = cpu.tensor(Shape.of(1, 1, 4, 4), x);
             Tensor ty = cpu.allocate(Shape.of(1, 1, 2, 2));
             Tensor ts = cpu.allocate(Shape.of(1, 1, 2, 2), DataType.INT32)) {
            cpu.maxPoolForward(tx, PoolSpec.of(2, 2), ty, ts);
            assertArrayEquals(new float[] {7, 2, 0, 3}, cpu.toFloatArray(ty));
            assertArrayEquals(new int[] {0, 3, 8, 10}, cpu.toIntArray(ts));
        }
    }

    /**
     * A NaN in a window is its maximum (as in PyTorch): y is NaN, the switch points at the first NaN in
     * row-major window order, and backward routes dy there. Windows without a NaN are unaffected.
     */
    @Test
    void maxPoolingPropagatesTheFirstNaN() {
        float nan = Float.NaN;
        // Window (0,0) holds NaNs at (0,1) and (1,0): the first, position 1, wins over the larger 9.
        // Window (0,1) holds one NaN at (1,3), after a 5. Windows (1,0) and (1,1) hold none.
        float[] x = {9, nan, 5, 1, nan, 2, 3, nan, 1, 2, 3, 4, 5, 6, 7, 8};
        try (Tensor tx = cpu.tensor(Shape.of(1, 1, 4, 4), x);
             Tensor ty = cpu.allocate(Shape.of(1, 1, 2, 2));
             Tensor ts = cpu.allocate(Shape.of(1, 1, 2, 2), DataType.INT32);
             Tensor tdy = cpu.tensor(Shape.of(1, 1, 2, 2), new float[] {1, 2, 4, 8});
             Tensor tdx = cpu.allocate(Shape.of(1, 1, 4, 4))) {
            cpu.maxPoolForward(tx, PoolSpec.of(2, 2), ty, ts);
            assertArrayEquals(new float[] {nan, nan, 6, 8}, cpu.toFloatArray(ty));
            assertArrayEquals(new int[] {1, 7, 13, 15}, cpu.toIntArray(ts));
            cpu.maxPoolBackward(tdy, ts, PoolSpec.of(2, 2), tdx);
            float[] expected = new float[16];
            expected[1] = 1;
            expected[7] = 2;
            expected[13] = 4;
            expected[15] = 8;
            assertArrayEquals(expected, cpu.toFloatArray(tdx));
        }
    }

    /** Padded positions are never chosen, even when every real value is negative. */
    @Test
    void paddingIsNeverTheMaximum() {
        float[] x = RandomTensors.uniform(3, 25, -5f, -1f);
        PoolSpec spec = new PoolSpec(3, 3, 2, 2, 1, 1, OutputRounding.EXACT);
        try (Tensor tx = cpu.tensor(Shape.of(1, 1, 5, 5), x);
             Tensor ty = cpu.allocate(Shape.of(1, 1, 3, 3));
             Tensor ts = cpu.allocate(Shape.of(1, 1, 3, 3), DataType.INT32)) {
            cpu.maxPoolForward(tx, spec, ty, ts);
            Window ref = new Window(1, 1, 5, 5, spec);
            assertClose(ref.maxForward(x), cpu.toFloatArray(ty), 0, 0, "max with padding");
            assertArrayEquals(ref.maxSwitches(x), cpu.toIntArray(ts));
        }
    }

    /**
     * AlexNet's overlapping 3x3 stride-2 pooling on an input full of ties: neighbouring windows share
     * maxima, and backward sums every output's gradient into the shared position.
     */
    @Test
    void overlappingPoolingRoutesSharedMaximaSummed() {
        // 5x5 plane where the centre (2,2) is the maximum of all four 3x3 stride-2 windows.
        float[] x = new float[25];
        x[12] = 9f;
        PoolSpec spec = PoolSpec.of(3, 2);
        try (Tensor tx = cpu.tensor(Shape.of(1, 1, 5, 5), x);
             Tensor ty = cpu.allocate(Shape.of(1, 1, 2, 2));
             Tensor ts = cpu.allocate(Shape.of(1, 1, 2, 2), DataType.INT32);
             Tensor tdy = cpu.tensor(Shape.of(1, 1, 2, 2), new float[] {1, 2, 4, 8});
             Tensor tdx = cpu.allocate(Shape.of(1, 1, 5, 5))) {
            cpu.maxPoolForward(tx, spec, ty, ts);
            assertArrayEquals(new float[] {9, 9, 9, 9}, cpu.toFloatArray(ty));
            assertArrayEquals(new int[] {12, 12, 12, 12}, cpu.toIntArray(ts));
            cpu.fill(tdx, Float.NaN);
            cpu.maxPoolBackward(tdy, ts, spec, tdx);
            float[] expected = new float[25];
            expected[12] = 15f;
            assertArrayEquals(expected, cpu.toFloatArray(tdx));
        }
    }

    /** n, c, h, w, kernel h/w, stride h/w, pad h/w, rounding. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(2, 3, 8, 8, 2, 2, 2, 2, 0, 0, OutputRounding.EXACT),
                Arguments.of(2, 4, 13, 13, 3, 3, 2, 2, 0, 0, OutputRounding.EXACT),   // AlexNet overlapping
                Arguments.of(1, 2, 10, 7, 3, 2, 3, 1, 1, 1, OutputRounding.EXACT),     // stride 3, non-square
                Arguments.of(3, 1, 10, 11, 3, 3, 2, 2, 1, 1, OutputRounding.FLOOR),   // padding, floor
                Arguments.of(1, 1, 6, 6, 3, 3, 1, 1, 2, 2, OutputRounding.EXACT),     // padding 2
                Arguments.of(2, 2, 5, 5, 1, 1, 1, 1, 0, 0, OutputRounding.EXACT));    // 1x1 window
    }

    @ParameterizedTest(name = "x[{0},{1},{2},{3}] window {4}x{5} stride {6}x{7} pad {8}x{9} {10}")
    @MethodSource("shapes")
    void matchesDirectWindows(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
                              OutputRounding rounding) {
        PoolSpec spec = new PoolSpec(kh, kw, sh, sw, ph, pw, rounding);
        Shape xs = Shape.of(n, c, h, w);
        Shape ys = spec.outputShape("test", xs);
        Window ref = new Window(n, c, h, w, spec);
        long seed = 100L * h + 10L * kh + sh + ph;
        // Values in few distinct levels, so that windows hold ties.
        float[] x = RandomTensors.uniform(seed, xs.size(), -4f, 4f);
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.round(x[i]);
        }
        float[] dy = RandomTensors.uniform(seed + 1, ys.size());
        try (Tensor tx = cpu.tensor(xs, x); Tensor ty = cpu.allocate(ys);
             Tensor ts = cpu.allocate(ys, DataType.INT32); Tensor tdy = cpu.tensor(ys, dy);
             Tensor tdx = cpu.allocate(xs)) {
            cpu.fill(ty, Float.NaN);
            cpu.maxPoolForward(tx, spec, ty, ts);
            assertClose(ref.maxForward(x), cpu.toFloatArray(ty), 0, 0, "max forward");
            assertArrayEquals(ref.maxSwitches(x), cpu.toIntArray(ts), "max switches");
            cpu.fill(tdx, Float.NaN);
            cpu.maxPoolBackward(tdy, ts, spec, tdx);
            assertClose(ref.maxBackward(x, dy), cpu.toFloatArray(tdx), 1e-6, 1e-6, "max backward");

            cpu.fill(ty, Float.NaN);
            cpu.avgPoolForward(tx, spec, ty);
            assertClose(ref.avgForward(x), cpu.toFloatArray(ty), 1e-6, 1e-6, "avg forward");
            cpu.fill(tdx, Float.NaN);
            cpu.avgPoolBackward(tdy, spec, tdx);
            assertClose(ref.avgBackward(dy), cpu.toFloatArray(tdx), 1e-6, 1e-6, "avg backward");
        }
    }

    /** Direct window formulas, one output at a time, in double. */
    private record Window(int n, int c, int h, int w, PoolSpec s) {
        int oh() {
            return s.outputShape("ref", Shape.of(n, c, h, w)).h();
        }

        int ow() {
            return s.outputShape("ref", Shape.of(n, c, h, w)).w();
        }

        /** The argmax position (h*W + w) of output (plane, r, q): first maximum among real positions. */
        int argmax(float[] x, int plane, int r, int q) {
            int best = -1;
            for (int i = 0; i < s.kernelH(); i++) {
                for (int j = 0; j < s.kernelW(); j++) {
                    int ih = r * s.strideH() - s.padH() + i;
                    int iw = q * s.strideW() - s.padW() + j;
                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                        continue;
                    }
                    int pos = ih * w + iw;
                    if (best < 0 || x[plane * h * w + pos] > x[plane * h * w + best]) {
                        best = pos;
                    }
                }
            }
            return best;
        }

        float[] maxForward(float[] x) {
            float[] y = new float[n * c * oh() * ow()];
            int[] sw = maxSwitches(x);
            for (int i = 0; i < y.length; i++) {
                y[i] = x[(i / (oh() * ow())) * h * w + sw[i]];
            }
            return y;
        }

        int[] maxSwitches(float[] x) {
            int[] sw = new int[n * c * oh() * ow()];
            for (int p = 0; p < n * c; p++) {
                for (int r = 0; r < oh(); r++) {
                    for (int q = 0; q < ow(); q++) {
                        sw[(p * oh() + r) * ow() + q] = argmax(x, p, r, q);
                    }
                }
            }
            return sw;
        }

        /** dx[pos] = sum of dy over outputs whose argmax is pos. */
        double[] maxBackward(float[] x, float[] dy) {
            double[] dx = new double[n * c * h * w];
            int[] sw = maxSwitches(x);
            for (int i = 0; i < sw.length; i++) {
                dx[(i / (oh() * ow())) * h * w + sw[i]] += dy[i];
            }
            return dx;
        }

        double[] avgForward(float[] x) {
            double[] y = new double[n * c * oh() * ow()];
            for (int p = 0; p < n * c; p++) {
                for (int r = 0; r < oh(); r++) {
                    for (int q = 0; q < ow(); q++) {
                        double sum = 0;
                        for (int i = 0; i < s.kernelH(); i++) {
                            for (int j = 0; j < s.kernelW(); j++) {
                                int ih = r * s.strideH() - s.padH() + i;
                                int iw = q * s.strideW() - s.padW() + j;
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                    sum += x[(p * h + ih) * w + iw];
                                }
                            }
                        }
                        y[(p * oh() + r) * ow() + q] = sum / (s.kernelH() * s.kernelW());
                    }
                }
            }
            return y;
        }

        double[] avgBackward(float[] dy) {
            double[] dx = new double[n * c * h * w];
            for (int p = 0; p < n * c; p++) {
                for (int r = 0; r < oh(); r++) {
                    for (int q = 0; q < ow(); q++) {
                        double g = dy[(p * oh() + r) * ow() + q] / (double) (s.kernelH() * s.kernelW());
                        for (int i = 0; i < s.kernelH(); i++) {
                            for (int j = 0; j < s.kernelW(); j++) {
                                int ih = r * s.strideH() - s.padH() + i;
                                int iw = q * s.strideW() - s.padW() + j;
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                    dx[(p * h + ih) * w + iw] += g;
                                }
                            }
                        }
                    }
                }
            }
            return dx;
        }
    }
}
