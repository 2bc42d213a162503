package org.convnet4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Initializer statistics, zero biases, and host-side determinism. */
class InitializerTest {

    private static double[] meanAndStd(float[] v) {
        double sum = 0;
        double sq = 0;
        for (float x : v) {
            sum += x;
            sq += (double) x * x;
        }
        double mean = sum / v.length;
        return new double[] {mean, Math.sqrt(sq / v.length - mean * mean)};
    }

    @Test
    void heHasStdSqrtTwoOverFanIn() {
        float[] v = new float[20000];
        Initializer.he().fill(v, 50, 10, new Random(1));
        double[] ms = meanAndStd(v);
        assertEquals(0, ms[0], 0.01);
        assertEquals(Math.sqrt(2.0 / 50), ms[1], 0.01 * Math.sqrt(2.0 / 50) * 3);
    }

    @Test
    void xavierIsUniformWithinItsBound() {
        float[] v = new float[20000];
        Initializer.xavier().fill(v, 30, 70, new Random(2));
        double a = Math.sqrt(6.0 / 100);
        double max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        assertTrue(max <= a && max > 0.99 * a, "max " + max + " bound " + a);
        assertEquals(a / Math.sqrt(3), meanAndStd(v)[1], 0.02 * a);
    }

    @Test
    void gaussianHasTheGivenStd() {
        float[] v = new float[20000];
        Initializer.gaussian(0.01).fill(v, 1, 1, new Random(3));
        assertEquals(0.01, meanAndStd(v)[1], 3e-4);
    }

    @Test
    void sameSeedSameWeightsAndZeroBiases() {
        Shape in = Shape.of(1, 3, 8, 8);
        try (CpuBackend backend = new CpuBackend(1);
             Conv2d a = Conv2d.builder().name("c").filters(4).kernel(3).build();
             Conv2d b = Conv2d.builder().name("c").filters(4).kernel(3).build()) {
            a.initialize(backend, in, new Random(9));
            b.initialize(backend, in, new Random(9));
            float[] wa = backend.toFloatArray(a.weight().value());
            assertArrayEquals(wa, backend.toFloatArray(b.weight().value()));
            float[] expected = new float[4 * 27];
            Initializer.he().fill(expected, 27, 36, new Random(9));
            assertArrayEquals(expected, wa, "the host draw, uploaded");
            for (float x : backend.toFloatArray(a.bias().value())) {
                assertEquals(0f, x);
            }
        }
    }
}
