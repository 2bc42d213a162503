package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;

/**
 * A CPU and a GPU backend side by side, making twin tensors and comparing them.
 *
 * <p>Inputs get the same random values on both sides. Outputs that an op overwrites are poisoned with NaN
 * on both sides (INT32 ones with {@link #INT_POISON}), so an element the GPU forgets to write fails the
 * comparison. Outputs that accumulate get the same random values on both sides. {@link #check} prints one
 * "TENSOR OK, maxdiff = ..." line per output, as llm.c's test does, and fails naming the first mismatches.
 */
public final class CpuGpu implements AutoCloseable {
    /** What INT32 outputs hold before an op writes them. */
    public static final int INT_POISON = -777_777;
    private static final int SHOWN = 10;

    public final CpuBackend cpu;
    /** The CUDA backend (a second CpuBackend in a dry run, see {@link NativeBackends}). */
    public final Backend gpu;
    private final List<Twin> made = new ArrayList<>();
    private SplittableRandom rng = new SplittableRandom(1);

    private CpuGpu(CpuBackend cpu, Backend gpu) {
        this.cpu = cpu;
        this.gpu = gpu;
    }

    /** Opens both backends (the GPU one on device 0, see {@link NativeBackends}). */
    public static CpuGpu open() {
        Backend gpu = NativeBackends.openDevice();
        return new CpuGpu(new CpuBackend(), gpu);
    }

    /** Opens both backends, the GPU one with our own GEMM kernel as its GEMM provider. */
    public static CpuGpu openWithKernelGemm() {
        Backend gpu = NativeBackends.openDeviceWithKernelGemm();
        return new CpuGpu(new CpuBackend(), gpu);
    }

    /** Restarts the random values from seed (each test reseeds, so its inputs do not depend on test order). */
    public void reseed(long seed) {
        rng = new SplittableRandom(seed);
    }

    public SplittableRandom random() {
        return rng;
    }

    /** An input of uniform values in [lo, hi), the same on both sides. */
    public Twin uniform(Shape shape, float lo, float hi) {
        float[] v = new float[shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        return values(shape, v);
    }

    /** An input of uniform values in [-1, 1). */
    public Twin uniform(Shape shape) {
        return uniform(shape, -1f, 1f);
    }

    /** An input holding values on both sides. */
    public Twin values(Shape shape, float[] values) {
        return keep(new Twin(cpu.tensor(shape, values), gpu.tensor(shape, values)));
    }

    /** An INT32 input of values in [0, bound). */
    public Twin labels(Shape shape, int bound) {
        int[] v = new int[shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextInt(bound);
        }
        return ints(shape, v);
    }

    /** An INT32 input holding values on both sides. */
    public Twin ints(Shape shape, int[] values) {
        return keep(new Twin(cpu.intTensor(shape, values), gpu.intTensor(shape, values)));
    }

    /** An output the op overwrites: NaN on both sides. */
    public Twin output(Shape shape) {
        Twin t = keep(new Twin(cpu.allocate(shape), gpu.allocate(shape)));
        poison(t);
        return t;
    }

    /** Fills a FLOAT32 twin with NaN again, before running an op into it a second time. */
    public void poison(Twin t) {
        cpu.fill(t.cpu(), Float.NaN);
        gpu.fill(t.gpu(), Float.NaN);
    }

    /** An INT32 output the op overwrites: {@link #INT_POISON} on both sides. */
    public Twin intOutput(Shape shape) {
        int[] v = new int[shape.size()];
        Arrays.fill(v, INT_POISON);
        return ints(shape, v);
    }

    /** An output the op accumulates into: the same random values in [-1, 1) on both sides. */
    public Twin accumulator(Shape shape) {
        return uniform(shape);
    }

    private Twin keep(Twin t) {
        made.add(t);
        return t;
    }

    /** Closes every twin made since the last call. */
    public void closeTwins() {
        for (Twin t : made) {
            t.close();
        }
        made.clear();
    }

    /**
     * Compares a FLOAT32 twin element by element, prints "label shape: TENSOR OK, maxdiff = ..." and
     * fails, naming the first mismatches, when an element is NaN or beyond the tolerance.
     *
     * @return the GPU's values
     */
    public float[] check(String label, Twin t, Tolerance tol) {
        float[] c = cpu.toFloatArray(t.cpu());
        float[] g = gpu.toFloatArray(t.gpu());
        return check(label + " " + t.cpu().shape(), c, g, tol);
    }

    /** The same on host arrays (c from the CPU, g from the GPU). */
    public static float[] check(String label, float[] c, float[] g, Tolerance tol) {
        if (c.length != g.length) {
            fail(label + ": CPU has " + c.length + " values, GPU " + g.length);
        }
        if (NativeBackends.fakeDevice()) {
            System.out.printf("%-60s launched on the host fake, values not compared%n", label);
            return g;
        }
        double maxAbs = 0;
        for (float v : c) {
            if (Float.isFinite(v)) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
        double maxDiff = 0;
        double worst = 0;
        int bad = 0;
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < c.length; i++) {
            double diff = Math.abs((double) g[i] - c[i]);
            if (!Double.isNaN(diff) && c[i] != g[i]) {
                maxDiff = Math.max(maxDiff, diff);
                double bound = tol.bound(c[i], maxAbs);
                worst = Math.max(worst, bound > 0 ? diff / bound : Double.POSITIVE_INFINITY);
            }
            if (!tol.passes(c[i], g[i], maxAbs)) {
                if (bad < SHOWN) {
                    shown.append(String.format("%n  [%d] cpu %s, gpu %s, diff %.3g", i, c[i], g[i], diff));
                }
                bad++;
            }
        }
        if (bad > 0) {
            System.out.printf("%-60s TENSOR NOT OK, %d of %d differ, maxdiff = %.3e%n", label, bad, c.length, maxDiff);
            fail(label + ": " + bad + " of " + c.length + " values are NaN or differ beyond " + tol
                    + ", max|cpu| = " + maxAbs + "; first ones:" + shown);
        }
        System.out.printf("%-60s TENSOR OK, maxdiff = %.3e, worst diff/bound = %.3f, max|cpu| = %.3g%n",
                label, maxDiff, worst, maxAbs);
        return g;
    }

    /**
     * Compares a FLOAT32 twin that must hold NaN exactly where {@code nanAt} says (the op's NaN rule, worked out
     * by the test from its input): NaN on the CPU and on the GPU at those positions and nowhere else, the other
     * elements within the tolerance ({@link #check}). On the host fake nothing is compared.
     *
     * @return the GPU's values
     */
    public float[] checkNaNAt(String label, Twin t, boolean[] nanAt, Tolerance tol) {
        float[] c = cpu.toFloatArray(t.cpu());
        float[] g = gpu.toFloatArray(t.gpu());
        String name = label + " " + t.cpu().shape();
        if (c.length != nanAt.length) {
            fail(name + ": " + c.length + " values, but NaN positions given for " + nanAt.length);
        }
        if (NativeBackends.fakeDevice()) {
            return check(name, c, g, tol);
        }
        int nans = 0;
        StringBuilder shown = new StringBuilder();
        int bad = 0;
        float[] cNumbers = c.clone();
        float[] gNumbers = g.clone();
        for (int i = 0; i < c.length; i++) {
            if (Float.isNaN(c[i]) != nanAt[i] || Float.isNaN(g[i]) != nanAt[i]) {
                if (bad < SHOWN) {
                    shown.append(String.format("%n  [%d] cpu %s, gpu %s, NaN expected: %s", i, c[i], g[i], nanAt[i]));
                }
                bad++;
            } else if (nanAt[i]) {
                nans++;
                cNumbers[i] = 0; // compared: NaN on both sides, as expected
                gNumbers[i] = 0;
            }
        }
        if (bad > 0) {
            System.out.printf("%-60s NAN NOT OK, %d of %d elements have NaN in the wrong places%n", name, bad, c.length);
            fail(name + ": " + bad + " of " + c.length + " elements are NaN where a number is expected or the other"
                    + " way round; first ones:" + shown);
        }
        System.out.printf("%-60s NAN OK, NaN at the %d expected positions on both%n", name, nans);
        check(name, cNumbers, gNumbers, tol);
        return g;
    }

    /** Compares an INT32 twin exactly, printing one line. */
    public int[] checkInts(String label, Twin t) {
        int[] c = cpu.toIntArray(t.cpu());
        int[] g = gpu.toIntArray(t.gpu());
        if (NativeBackends.fakeDevice()) {
            System.out.printf("%-60s launched on the host fake, values not compared%n", label + " " + t.cpu().shape());
            return g;
        }
        int bad = 0;
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < c.length; i++) {
            if (c[i] != g[i]) {
                if (bad < SHOWN) {
                    shown.append(String.format("%n  [%d] cpu %d, gpu %d", i, c[i], g[i]));
                }
                bad++;
            }
        }
        String name = label + " " + t.cpu().shape();
        if (bad > 0) {
            System.out.printf("%-60s INTS NOT OK, %d of %d differ%n", name, bad, c.length);
            fail(name + ": " + bad + " of " + c.length + " values differ; first ones:" + shown);
        }
        System.out.printf("%-60s INTS OK, all %d equal%n", name, c.length);
        return g;
    }

    /** A FLOAT32 twin's GPU values downloaded (for checks of their own). */
    public float[] gpuValues(Twin t) {
        return gpu.toFloatArray(t.gpu());
    }

    public float[] cpuValues(Twin t) {
        return cpu.toFloatArray(t.cpu());
    }

    /** A new tensor on each side with the other's shape, for views: same storage, new shape. */
    public static Twin reshape(Twin t, Shape shape) {
        return new Twin(t.cpu().reshape(shape), t.gpu().reshape(shape));
    }


    @Override
    public void close() {
        closeTwins();
        try {
            gpu.close();
        } finally {
            cpu.close();
        }
    }
}
