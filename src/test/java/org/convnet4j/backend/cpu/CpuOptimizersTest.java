package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Each optimizer's update against its formula, computed here in double, for two steps. */
class CpuOptimizersTest extends CpuFamilyTest {
    private static final int SIZE = 37;
    private static final float WD = 0.01f;
    private static float[] grad(int step) {
        return RandomTensors.uniform(100 + step, SIZE);
    }

    @Test
    void sgd() {
        float[] p0 = RandomTensors.uniform(1, SIZE);
        double[] p = toDouble(p0);
        try (Tensor tp = cpu.tensor(Shape.of(SIZE), p0); Tensor tg = cpu.allocate(Shape.of(SIZE))) {
            for (int step = 1; step <= 2; step++) {
                float[] g = grad(step);
                cpu.upload(g, tg);
                cpu.sgdUpdate(tp, tg, 0.1f, WD);
                for (int i = 0; i < SIZE; i++) {
                    p[i] -= 0.1 * (g[i] + WD * p[i]);
                }
                assertClose(p, cpu.toFloatArray(tp), 1e-6, 1e-5, "sgd step " + step);
            }
        }
    }

    @Test
    void momentumAndNesterov() {
        for (boolean nesterov : new boolean[] {false, true}) {
            float[] p0 = RandomTensors.uniform(2, SIZE);
            double[] p = toDouble(p0);
            double[] v = new double[SIZE];
            try (Tensor tp = cpu.tensor(Shape.of(SIZE), p0); Tensor tg = cpu.allocate(Shape.of(SIZE));
                 Tensor tv = cpu.allocate(Shape.of(SIZE))) {
                for (int step = 1; step <= 2; step++) {
                    float[] g = grad(step);
                    cpu.upload(g, tg);
                    cpu.momentumUpdate(tp, tg, tv, 0.1f, 0.9f, WD, nesterov);
                    for (int i = 0; i < SIZE; i++) {
                        double gi = g[i] + WD * p[i];
                        v[i] = 0.9 * v[i] + gi;
                        p[i] -= nesterov ? 0.1 * (gi + 0.9 * v[i]) : 0.1 * v[i];
                    }
                    assertClose(v, cpu.toFloatArray(tv), 1e-6, 1e-5, "velocity step " + step + " nesterov " + nesterov);
                    assertClose(p, cpu.toFloatArray(tp), 1e-6, 1e-5, "param step " + step + " nesterov " + nesterov);
                }
            }
        }
    }

    @Test
    void adagrad() {
        float[] p0 = RandomTensors.uniform(3, SIZE);
        double[] p = toDouble(p0);
        double[] s = new double[SIZE];
        try (Tensor tp = cpu.tensor(Shape.of(SIZE), p0); Tensor tg = cpu.allocate(Shape.of(SIZE));
             Tensor ts = cpu.allocate(Shape.of(SIZE))) {
            for (int step = 1; step <= 2; step++) {
                float[] g = grad(step);
                cpu.upload(g, tg);
                cpu.adagradUpdate(tp, tg, ts, 0.1f, 1e-8f, WD);
                for (int i = 0; i < SIZE; i++) {
                    double gi = g[i] + WD * p[i];
                    s[i] += gi * gi;
                    p[i] -= 0.1 * gi / (Math.sqrt(s[i]) + 1e-8);
                }
                assertClose(s, cpu.toFloatArray(ts), 1e-6, 1e-5, "adagrad sum step " + step);
                assertClose(p, cpu.toFloatArray(tp), 1e-6, 1e-5, "adagrad param step " + step);
            }
        }
    }

    @Test
    void rmsprop() {
        float[] p0 = RandomTensors.uniform(4, SIZE);
        double[] p = toDouble(p0);
        double[] ms = new double[SIZE];
        try (Tensor tp = cpu.tensor(Shape.of(SIZE), p0); Tensor tg = cpu.allocate(Shape.of(SIZE));
             Tensor tm = cpu.allocate(Shape.of(SIZE))) {
            for (int step = 1; step <= 2; step++) {
                float[] g = grad(step);
                cpu.upload(g, tg);
                cpu.rmspropUpdate(tp, tg, tm, 0.01f, 0.99f, 1e-8f, WD);
                for (int i = 0; i < SIZE; i++) {
                    double gi = g[i] + WD * p[i];
                    ms[i] = 0.99 * ms[i] + 0.01 * gi * gi;
                    p[i] -= 0.01 * gi / (Math.sqrt(ms[i]) + 1e-8);
                }
                assertClose(ms, cpu.toFloatArray(tm), 1e-7, 1e-5, "rmsprop mean square step " + step);
                assertClose(p, cpu.toFloatArray(tp), 1e-6, 1e-5, "rmsprop param step " + step);
            }
        }
    }

    @Test
    void adam() {
        float[] p0 = RandomTensors.uniform(5, SIZE);
        double[] p = toDouble(p0);
        double[] m = new double[SIZE];
        double[] v = new double[SIZE];
        double b1 = 0.9;
        double b2 = 0.999;
        try (Tensor tp = cpu.tensor(Shape.of(SIZE), p0); Tensor tg = cpu.allocate(Shape.of(SIZE));
             Tensor tm = cpu.allocate(Shape.of(SIZE)); Tensor tv = cpu.allocate(Shape.of(SIZE))) {
            for (int step = 1; step <= 2; step++) {
                float[] g = grad(step);
                cpu.upload(g, tg);
                cpu.adamUpdate(tp, tg, tm, tv, 0.001f, 0.9f, 0.999f, 1e-8f, WD, step);
                for (int i = 0; i < SIZE; i++) {
                    double gi = g[i] + WD * p[i];
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    double mHat = m[i] / (1 - Math.pow(b1, step));
                    double vHat = v[i] / (1 - Math.pow(b2, step));
                    p[i] -= 0.001 * mHat / (Math.sqrt(vHat) + 1e-8);
                }
                assertClose(m, cpu.toFloatArray(tm), 1e-7, 1e-5, "adam m step " + step);
                assertClose(v, cpu.toFloatArray(tv), 1e-8, 1e-4, "adam v step " + step);
                assertClose(p, cpu.toFloatArray(tp), 1e-6, 1e-5, "adam param step " + step);
            }
            assertThrows(IllegalArgumentException.class,
                    () -> cpu.adamUpdate(tp, tg, tm, tv, 0.001f, 0.9f, 0.999f, 1e-8f, WD, 0));
        }
    }
}
