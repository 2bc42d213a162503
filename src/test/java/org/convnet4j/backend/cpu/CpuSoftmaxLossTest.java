package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.convnet4j.testing.Assertions.assertFinite;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.backend.Activation;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Activations, softmax cross-entropy and argmax against their formulas. */
class CpuActivationLossTest {
    private static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

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

    @Test
    void softmaxCrossEntropyMatchesFormula() {
        int n = 5;
        int k = 7;
        float[] z = RandomTensors.uniform(40, n * k, -3f, 3f);
        int[] labels = RandomTensors.ints(41, n, k);
        double[] probs = new double[n * k];
        double[] grad = new double[n * k];
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(z[i * k + j]);
            }
            for (int j = 0; j < k; j++) {
                probs[i * k + j] = Math.exp(z[i * k + j]) / sum;
                grad[i * k + j] = (probs[i * k + j] - (j == labels[i] ? 1 : 0)) / n;
            }
            loss -= Math.log(probs[i * k + labels[i]]);
        }
        loss /= n;
        try (Tensor tz = cpu.tensor(Shape.of(n, k), z); Tensor tl = cpu.intTensor(Shape.of(n), labels);
             Tensor tp = cpu.allocate(Shape.of(n, k)); Tensor tloss = cpu.allocate(Shape.of(1));
             Tensor td = cpu.allocate(Shape.of(n, k))) {
            cpu.softmaxCrossEntropyForward(tz, tl, tp, tloss);
            assertClose(probs, cpu.toFloatArray(tp), 1e-6, 1e-5, "softmax probs");
            assertClose(new double[] {loss}, cpu.toFloatArray(tloss), 1e-6, 1e-5, "cross-entropy loss");
            cpu.softmaxCrossEntropyBackward(tp, tl, td);
            assertClose(grad, cpu.toFloatArray(td), 1e-6, 1e-5, "softmax gradient");
        }
    }

    /** Logits of +-1000 overflow a naive exp; the stable form gives a finite loss and gradient. */
    @Test
    void extremeLogitsStayFinite() {
        float[] z = {1000, -1000, 0, -1000, 1000, 0};
        int[] labels = {1, 1};
        try (Tensor tz = cpu.tensor(Shape.of(2, 3), z); Tensor tl = cpu.intTensor(Shape.of(2), labels);
             Tensor tp = cpu.allocate(Shape.of(2, 3)); Tensor tloss = cpu.allocate(Shape.of(1));
             Tensor td = cpu.allocate(Shape.of(2, 3))) {
            cpu.softmaxCrossEntropyForward(tz, tl, tp, tloss);
            float[] loss = cpu.toFloatArray(tloss);
            assertFinite(loss, "loss");
            // item 0: label logit -1000 against max 1000: -log p = 2000; item 1: label is the max: 0.
            assertEquals(1000f, loss[0], 1e-3f);
            cpu.softmaxCrossEntropyBackward(tp, tl, td);
            float[] g = cpu.toFloatArray(td);
            assertFinite(g, "gradient");
            assertClose(new float[] {0.5f, -0.5f, 0, 0, 0, 0}, g, 1e-6, 0, "extreme gradient");
        }
    }

    @Test
    void labelOutOfRangeIsRejected() {
        try (Tensor tz = cpu.allocate(Shape.of(2, 3)); Tensor tl = cpu.intTensor(Shape.of(2), new int[] {0, 3});
             Tensor tp = cpu.allocate(Shape.of(2, 3)); Tensor tloss = cpu.allocate(Shape.of(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cpu.softmaxCrossEntropyForward(tz, tl, tp, tloss));
            assertTrue(e.getMessage().contains("softmaxCrossEntropyForward") && e.getMessage().contains("3"),
                    e.getMessage());
        }
    }

    @Test
    void argmaxTiesGoToTheLowestIndex() {
        float[] x = {1, 3, 3, 0, -1, -2, -1, -5, 2, 2, 2, 2};
        try (Tensor tx = cpu.tensor(Shape.of(3, 4), x); Tensor out = cpu.allocate(Shape.of(3), DataType.INT32)) {
            cpu.argmax(tx, out);
            assertArrayEquals(new int[] {1, 0, 0}, cpu.toIntArray(out));
        }
    }
}
