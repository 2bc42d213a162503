package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.List;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Max pooling (values and int32 switches) and average pooling, forward and backward: CUDA against the CPU,
 * overlapping 3x3/2 windows, padding with all-negative inputs (a padded zero must never win), non-square
 * windows and strides, floor rounding, 1x1; and on NaN input. Global average pooling, forward and backward.
 */
class PoolingOpsTest extends NativeOpTest {

    /** One pooling: input shape, spec, and the range of the input values. */
    record PoolCase(String name, Shape x, PoolSpec spec, float lo, float hi) {
        Shape y() {
            return spec.outputShape(name, x);
        }

        @Override
        public String toString() {
            return name + " x" + x;
        }
    }

    static List<PoolCase> cases() {
        return List.of(
                new PoolCase("2x2/2", Shape.of(2, 3, 8, 8), PoolSpec.of(2, 2), -1, 1),
                new PoolCase("overlapping 3x3/2", Shape.of(2, 5, 13, 13), PoolSpec.of(3, 2), -1, 1),
                new PoolCase("3x3/2 pad 1, all negative", Shape.of(1, 35, 9, 9), PoolSpec.of(3, 2).withPadding(1, 1), -2, -1),
                new PoolCase("2x3 stride 1x2 floor", Shape.of(3, 2, 7, 10),
                        new PoolSpec(2, 3, 1, 2, 0, 0, OutputRounding.FLOOR), -1, 1),
                new PoolCase("1x1/1", Shape.of(2, 3, 4, 5), PoolSpec.of(1, 1), -1, 1),
                new PoolCase("5x5/1 pad 2", Shape.of(1, 2, 5, 5), PoolSpec.of(5, 1).withPadding(2, 2), -1, 1),
                new PoolCase("3x3/3", Shape.of(2, 33, 12, 12), PoolSpec.of(3, 3), -1, 1),
                new PoolCase("LeNet 2x2/2", Shape.of(64, 6, 28, 28), PoolSpec.of(2, 2), -1, 1),
                new PoolCase("1x2 stride 3 pad 0x1, gaps", Shape.of(2, 2, 9, 11),
                        new PoolSpec(1, 2, 3, 3, 0, 1, OutputRounding.FLOOR), -1, 1),
                new PoolCase("AlexNet pool1 planes 3x3/2", Shape.of(2, 4, 55, 55), PoolSpec.of(3, 2), -1, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void maxForward(PoolCase k) {
        Twin x = both.uniform(k.x(), k.lo(), k.hi());
        int ties = runMaxForwardAndCheck(k, x, "maxPoolForward, " + k.name());
        System.out.println("  (" + ties + " switches differ at ties)");
    }

    /** Inputs of only three values, so most windows hold ties: values match, switches point at a maximum. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void maxForwardWithTies(PoolCase k) {
        float[] v = new float[k.x().size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = k.lo() + both.random().nextInt(3) * (k.hi() - k.lo()) / 3;
        }
        Twin x = both.values(k.x(), v);
        int ties = runMaxForwardAndCheck(k, x, "maxPoolForward with ties, " + k.name());
        System.out.println("  (" + ties + " switches differ at ties; the contract says the first in window order"
                + " wins, so 0 is expected)");
    }

    /** Runs max forward on both, checks y exactly and the switches; returns how many switches differ at ties. */
    private int runMaxForwardAndCheck(PoolCase k, Twin x, String label) {
        Twin y = both.output(k.y());
        Twin sw = both.intOutput(k.y());
        both.cpu.maxPoolForward(x.cpu(), k.spec(), y.cpu(), sw.cpu());
        both.gpu.maxPoolForward(x.gpu(), k.spec(), y.gpu(), sw.gpu());
        both.check(label + " y", y, Tolerance.EXACT);
        if (NativeBackends.fakeDevice()) {
            return 0; // nothing computed
        }
        float[] xs = both.cpuValues(x);
        int[] c = both.cpu.toIntArray(sw.cpu());
        int[] g = both.gpu.toIntArray(sw.gpu());
        int h = k.x().h();
        int w = k.x().w();
        int oh = k.y().h();
        int ow = k.y().w();
        int plane = h * w;
        int ties = 0;
        for (int i = 0; i < c.length; i++) {
            if (c[i] == g[i]) {
                continue;
            }
            int nc = i / (oh * ow);
            int oy = i / ow % oh;
            int ox = i % ow;
            int y0 = oy * k.spec().strideH() - k.spec().padH();
            int x0 = ox * k.spec().strideW() - k.spec().padW();
            int gy = g[i] / w;
            int gx = g[i] % w;
            boolean inWindow = g[i] >= 0 && g[i] < plane && gy >= y0 && gy < y0 + k.spec().kernelH()
                    && gx >= x0 && gx < x0 + k.spec().kernelW();
            if (!inWindow || xs[nc * plane + g[i]] != xs[nc * plane + c[i]]) {
                fail(label + " switches: output " + i + ": cpu " + c[i] + " (x = " + xs[nc * plane + c[i]] + "), gpu "
                        + g[i] + (inWindow ? " (x = " + xs[nc * plane + g[i]] + ")" : " (outside the window)")
                        + ", and this is not a tie");
            }
            ties++;
        }
        System.out.printf("%-60s INTS OK, %d of %d equal, %d differ only at ties%n", label + " switches " + k.y(),
                c.length - ties, c.length, ties);
        return ties;
    }

    /** Backward routed by the CPU's switches on both sides, so that ties cannot make them differ. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void maxBackward(PoolCase k) {
        Twin x = both.uniform(k.x(), k.lo(), k.hi());
        Twin y = both.output(k.y());
        Twin sw = both.intOutput(k.y());
        both.cpu.maxPoolForward(x.cpu(), k.spec(), y.cpu(), sw.cpu());
        Twin switches = both.ints(k.y(), both.cpu.toIntArray(sw.cpu()));
        Twin dy = both.uniform(k.y());
        Twin dx = both.output(k.x());
        both.cpu.maxPoolBackward(dy.cpu(), switches.cpu(), k.spec(), dx.cpu());
        both.gpu.maxPoolBackward(dy.gpu(), switches.gpu(), k.spec(), dx.gpu());
        both.check("maxPoolBackward dx, " + k.name(), dx, Tolerance.ELEMENTWISE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void avgForwardAndBackward(PoolCase k) {
        Twin x = both.uniform(k.x(), k.lo(), k.hi());
        Twin y = both.output(k.y());
        both.cpu.avgPoolForward(x.cpu(), k.spec(), y.cpu());
        both.gpu.avgPoolForward(x.gpu(), k.spec(), y.gpu());
        both.check("avgPoolForward y, " + k.name(), y, Tolerance.ELEMENTWISE);

        Twin dy = both.uniform(k.y());
        Twin dx = both.output(k.x());
        both.cpu.avgPoolBackward(dy.cpu(), k.spec(), dx.cpu());
        both.gpu.avgPoolBackward(dy.gpu(), k.spec(), dx.gpu());
        both.check("avgPoolBackward dx, " + k.name(), dx, Tolerance.ELEMENTWISE);
    }

    /** Global average pooling of ResNet's last planes (7x7) and of planes larger than a block, both ways. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"4x512x7x7", "2x3x17x19", "3x130x1x1"})
    void globalAverage(String dims) {
        Shape sx = Shapes.parse(dims);
        Shape sy = Shape.of(sx.n(), sx.c(), 1, 1);
        Twin x = both.uniform(sx);
        Twin y = both.output(sy);
        both.cpu.globalAvgPoolForward(x.cpu(), y.cpu());
        both.gpu.globalAvgPoolForward(x.gpu(), y.gpu());
        both.check("globalAvgPoolForward y " + sx, y, Tolerance.EXACT); // the same sums in the same order
        Twin dy = both.uniform(sy);
        Twin dx = both.output(sx);
        both.cpu.globalAvgPoolBackward(dy.cpu(), dx.cpu());
        both.gpu.globalAvgPoolBackward(dy.gpu(), dx.gpu());
        both.check("globalAvgPoolBackward dx " + sx, dx, Tolerance.EXACT);
    }

    /**
     * NaN input, one value in ten (PyTorch's rule): a window holding a NaN has max NaN and its switch at the
     * first NaN in row-major window order, the same switch on both backends; its average is NaN too.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void nanInput(PoolCase k) {
        float[] v = new float[k.x().size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = both.random().nextInt(10) == 0 ? Float.NaN
                    : (float) (k.lo() + (k.hi() - k.lo()) * both.random().nextDouble());
        }
        Twin x = both.values(k.x(), v);
        boolean[] nanY = windowsHoldingNaN(k, v);
        Twin y = both.output(k.y());
        Twin sw = both.intOutput(k.y());
        both.cpu.maxPoolForward(x.cpu(), k.spec(), y.cpu(), sw.cpu());
        both.gpu.maxPoolForward(x.gpu(), k.spec(), y.gpu(), sw.gpu());
        both.checkNaNAt("maxPoolForward y, NaN input, " + k.name(), y, nanY, Tolerance.EXACT);
        both.checkInts("maxPoolForward switches, NaN input, " + k.name(), sw);

        Twin avg = both.output(k.y());
        both.cpu.avgPoolForward(x.cpu(), k.spec(), avg.cpu());
        both.gpu.avgPoolForward(x.gpu(), k.spec(), avg.gpu());
        both.checkNaNAt("avgPoolForward y, NaN input, " + k.name(), avg, nanY, Tolerance.ELEMENTWISE);
    }

    /** For each output of k: whether its window (its positions inside the input) holds a NaN of x. */
    private static boolean[] windowsHoldingNaN(PoolCase k, float[] x) {
        PoolSpec p = k.spec();
        int h = k.x().h();
        int w = k.x().w();
        int oh = k.y().h();
        int ow = k.y().w();
        boolean[] out = new boolean[k.y().size()];
        for (int o = 0; o < out.length; o++) {
            int plane = o / (oh * ow);
            int r0 = o / ow % oh * p.strideH() - p.padH();
            int c0 = o % ow * p.strideW() - p.padW();
            for (int r = Math.max(r0, 0); r < Math.min(r0 + p.kernelH(), h); r++) {
                for (int c = Math.max(c0, 0); c < Math.min(c0 + p.kernelW(), w); c++) {
                    out[o] |= Float.isNaN(x[(plane * h + r) * w + c]);
                }
            }
        }
        return out;
    }

    @Test
    void float32SwitchesAreRejectedLikeOnTheCpu() {
        Twin x = both.uniform(Shape.of(1, 3, 8, 8));
        Twin y = both.output(Shape.of(1, 3, 4, 4));
        Twin floatSwitches = both.output(Shape.of(1, 3, 4, 4));
        rejectedByBoth("maxPoolForward with FLOAT32 switches", IllegalArgumentException.class,
                () -> both.cpu.maxPoolForward(x.cpu(), PoolSpec.of(2, 2), y.cpu(), floatSwitches.cpu()),
                () -> both.gpu.maxPoolForward(x.gpu(), PoolSpec.of(2, 2), y.gpu(), floatSwitches.gpu()));
    }

    @Test
    void theCourseExampleGivesSixEightThreeFour() {
        assumeFalse(NativeBackends.fakeDevice(), "the host fake computes nothing");
        Twin x = both.values(Shape.of(1, 1, 4, 4), new float[] {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4});
        Twin y = both.output(Shape.of(1, 1, 2, 2));
        Twin sw = both.intOutput(Shape.of(1, 1, 2, 2));
        both.gpu.maxPoolForward(x.gpu(), PoolSpec.of(2, 2), y.gpu(), sw.gpu());
        assertEquals(List.of(6f, 8f, 3f, 4f), boxed(both.gpuValues(y)));
        assertEquals(List.of(5, 7, 8, 15), java.util.Arrays.stream(both.gpu.toIntArray(sw.gpu())).boxed().toList());
    }

    private static List<Float> boxed(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return List.of(b);
    }
}
