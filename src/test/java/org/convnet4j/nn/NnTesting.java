package org.convnet4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/** Small helpers for the nn tests: seeded random tensors, closeness checks, gradient-check assertions. */
final class NnTesting {
    private NnTesting() {
    }

    /** values uniform in [-1, 1) from seed. */
    static float[] uniform(long seed, int size) {
        Random r = new Random(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    static Tensor randomTensor(Backend backend, Shape shape, long seed) {
        return backend.tensor(shape, uniform(seed, shape.size()));
    }

    static int[] labels(long seed, int n, int classes) {
        Random r = new Random(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextInt(classes);
        }
        return a;
    }

    /** |expected - actual| &lt;= atol + rtol * |expected| everywhere; names the first mismatch. */
    static void assertClose(float[] expected, float[] actual, double atol, double rtol, String label) {
        if (expected.length != actual.length) {
            fail(label + ": expected " + expected.length + " values, got " + actual.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= atol + rtol * Math.abs(expected[i]))) {
                fail(label + ": element " + i + " expected " + expected[i] + ", got " + actual[i] + " (diff " + d + ")");
            }
        }
    }

    /** The report passed, and no more than a quarter of the checked elements were excused at kinks. */
    static void assertGradientsOk(GradientChecker.Report report) {
        assertTrue(report.passed(), report::toString);
        assertTrue(report.tolerated() * 4 <= report.checked(), () -> "too many points at kinks: " + report);
    }
}
