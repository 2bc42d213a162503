package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.convnet4j.backend.Activation;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** ReLU, sigmoid and tanh forward and backward against their formulas. */
class CpuActivationTest extends CpuFamilyTest {
    private static double f(Activation a, double x) {
        return switch (a) {
            case RELU -> Math.max(0, x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
        };
    }

    private static double derivative(Activation a, double x) {
        return switch (a) {
            case RELU -> x > 0 ? 1 : 0;
            case SIGMOID -> f(a, x) * (1 - f(a, x));
            case TANH -> 1 - Math.tanh(x) * Math.tanh(x);
        };
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationForwardBackward(Activation a) {
        // Large enough to take the multithreaded path.
        Shape s = Shape.of(4, 8, 32, 40);
        float[] x = RandomTensors.uniform(20 + a.ordinal(), s.size(), -4f, 4f);
        float[] dy = RandomTensors.uniform(30 + a.ordinal(), s.size());
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f(a, x[i]);
            dx[i] = dy[i] * derivative(a, x[i]);
        }
        try (Tensor tx = cpu.tensor(s, x); Tensor ty = cpu.allocate(s); Tensor tdy = cpu.tensor(s, dy);
             Tensor tdx = cpu.allocate(s)) {
            cpu.activationForward(a, tx, ty);
            assertClose(y, cpu.toFloatArray(ty), 1e-6, 1e-5, a + " forward");
            cpu.activationBackward(a, ty, tdy, tdx);
            assertClose(dx, cpu.toFloatArray(tdx), 1e-6, 1e-5, a + " backward");
            // In place: y may be x, dx may be dy.
            cpu.activationForward(a, tx, tx);
            assertClose(y, cpu.toFloatArray(tx), 1e-6, 1e-5, a + " forward in place");
            cpu.activationBackward(a, tx, tdy, tdy);
            assertClose(dx, cpu.toFloatArray(tdy), 1e-6, 1e-5, a + " backward in place");
        }
    }

    /**
     * ReLU forward propagates NaN (as PyTorch's does): max(NaN, 0) is NaN, not 0.
     * NOTE: fails until the CPU oracle's ReLU NaN rule (helper branch fam-cpu) is merged: today the CPU
     * backend computes x > 0 ? x : 0, which maps NaN to 0.
     */
    @Test
    void reluForwardPropagatesNaN() {
        float nan = Float.NaN;
        float[] x = {-1, nan, 2, 0, nan, -nan};
        try (Tensor tx = cpu.tensor(Shape.of(2, 3), x); Tensor ty = cpu.allocate(Shape.of(2, 3))) {
            cpu.activationForward(Activation.RELU, tx, ty);
            assertArrayEquals(new float[] {0, nan, 2, 0, nan, nan}, cpu.toFloatArray(ty));
        }
    }
}
