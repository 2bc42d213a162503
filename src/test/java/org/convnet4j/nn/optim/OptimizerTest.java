package org.convnet4j.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.nn.ActivationLayer;
import org.convnet4j.nn.BatchNorm;
import org.convnet4j.nn.Linear;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.Sequential;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each optimizer matches its formula over two steps and reduces the loss of a small problem. */
class OptimizerTest {
    private static final float LR = 0.05f;
    private static final float WD = 0.01f;
    private CpuBackend backend;

    @BeforeEach
    void start() {
        backend = new CpuBackend(2);
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    static List<String> names() {
        return Optimizers.names();
    }

    /** The host reference: one update of p (in place) with gradient g and state s1, s2, step t (1-based). */
    private static void reference(String name, double[] p, double[] g, double[] s1, double[] s2, int t) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + WD * p[i];
            switch (name) {
                case "sgd" -> p[i] -= LR * gi;
                case "momentum" -> {
                    s1[i] = 0.9 * s1[i] + gi;
                    p[i] -= LR * s1[i];
                }
                case "nesterov" -> {
                    s1[i] = 0.9 * s1[i] + gi;
                    p[i] -= LR * (gi + 0.9 * s1[i]);
                }
                case "adagrad" -> {
                    s1[i] += gi * gi;
                    p[i] -= LR * gi / (Math.sqrt(s1[i]) + 1e-10);
                }
                case "rmsprop" -> {
                    s1[i] = 0.99 * s1[i] + 0.01 * gi * gi;
                    p[i] -= LR * gi / (Math.sqrt(s1[i]) + 1e-8);
                }
                case "adam" -> {
                    s1[i] = 0.9 * s1[i] + 0.1 * gi;
                    s2[i] = 0.999 * s2[i] + 0.001 * gi * gi;
                    double mhat = s1[i] / (1 - Math.pow(0.9, t));
                    double vhat = s2[i] / (1 - Math.pow(0.999, t));
                    p[i] -= LR * mhat / (Math.sqrt(vhat) + 1e-8);
                }
                default -> throw new AssertionError(name);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void matchesItsFormulaOverTwoSteps(String name) {
        Random rng = new Random(name.hashCode());
        int n = 13;
        Shape s = Shape.of(n);
        try (Parameter w = Parameter.trainable(backend, "layer.W", s);
             Parameter state = Parameter.state(backend, "bn.running_mean", s);
             Optimizer opt = Optimizers.create(name, backend, LR, WD)) {
            double[] p = new double[n];
            float[] pf = new float[n];
            for (int i = 0; i < n; i++) {
                pf[i] = (float) rng.nextGaussian();
                p[i] = pf[i];
            }
            backend.upload(pf, w.value());
            backend.fill(state.value(), 3f);
            double[] s1 = new double[n];
            double[] s2 = new double[n];
            for (int t = 1; t <= 2; t++) {
                float[] gf = new float[n];
                double[] g = new double[n];
                for (int i = 0; i < n; i++) {
                    gf[i] = (float) rng.nextGaussian();
                    g[i] = gf[i];
                }
                backend.upload(gf, w.grad());
                opt.step(List.of(w, state));
                reference(name, p, g, s1, s2, t);
                float[] actual = backend.toFloatArray(w.value());
                for (int i = 0; i < n; i++) {
                    assertEquals(p[i], actual[i], 1e-5 * (1 + Math.abs(p[i])), name + " step " + t + " element " + i);
                }
                assertEquals(t, opt.steps());
            }
            for (float v : backend.toFloatArray(state.value())) {
                assertEquals(3f, v, "state parameters are not updated");
            }
            Map<String, Tensor> st = opt.state();
            List<String> expectedKeys = switch (name) {
                case "sgd" -> List.of();
                case "momentum", "nesterov" -> List.of("layer.W.velocity");
                case "adagrad" -> List.of("layer.W.sum_squares");
                case "rmsprop" -> List.of("layer.W.mean_square");
                case "adam" -> List.of("layer.W.m", "layer.W.v");
                default -> throw new AssertionError(name);
            };
            assertEquals(expectedKeys, List.copyOf(st.keySet()));
            if (!expectedKeys.isEmpty()) {
                float[] slot = backend.toFloatArray(st.get(expectedKeys.get(0)));
                for (int i = 0; i < n; i++) {
                    assertEquals(s1[i], slot[i], 1e-5 * (1 + Math.abs(s1[i])), "state " + expectedKeys.get(0));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void reducesTheLossOfASmallProblem(String name) {
        int n = 32;
        int features = 6;
        int classes = 3;
        Random rng = new Random(5);
        float[] xs = new float[n * features];
        int[] ys = new int[n];
        for (int i = 0; i < n; i++) {
            ys[i] = rng.nextInt(classes);
            for (int j = 0; j < features; j++) {
                xs[i * features + j] = (float) (rng.nextGaussian() * 0.5 + (j % classes == ys[i] ? 1.0 : 0.0));
            }
        }
        Shape in = Shape.of(n, features);
        try (Sequential net = Sequential.of("mlp",
                Linear.builder().name("fc1").units(8).build(),
                BatchNorm.of("bn1"),
                ActivationLayer.relu("relu1"),
                Linear.builder().name("fc2").units(classes).build());
             Tensor x = backend.tensor(in, xs); Tensor y = backend.intTensor(Shape.of(n), ys);
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer opt = Optimizers.create(name, backend, name.equals("sgd") || name.equals("adagrad") ? 0.1f : 0.01f, 1e-4f)) {
            net.initialize(backend, in, 11L);
            float first = 0;
            float last = 0;
            for (int step = 0; step < 60; step++) {
                net.zeroGrad();
                last = loss.forward(net.forward(x, true), y);
                if (step == 0) {
                    first = last;
                }
                net.backward(loss.backward());
                opt.step(net.parameters());
            }
            assertTrue(last < 0.6f * first, name + ": loss " + first + " -> " + last);
            int slots = switch (name) {
                case "sgd" -> 0;
                case "adam" -> 2;
                default -> 1;
            };
            assertEquals(slots * 6, opt.state().size(), "state of all six trainable tensors: " + opt.state().keySet());
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void restoreStepsAndLearningRate(String name) {
        try (Optimizer opt = Optimizers.create(name, backend, 0.1f, 0f)) {
            assertEquals(name, opt.name());
            try (Parameter w = Parameter.trainable(backend, "fc.W", Shape.of(2, 3))) {
                opt.allocateState(List.of(w));
                int slots = name.equals("sgd") ? 0 : name.equals("adam") ? 2 : 1;
                assertEquals(slots, opt.state().size(), "state listed before the first step");
                opt.restoreSteps(7);
                assertEquals(7, opt.steps());
                opt.step(List.of(w));
                assertEquals(8, opt.steps());
            }
            opt.restoreSteps(7);
            assertEquals(7, opt.steps());
            opt.setLearningRate(0.5f);
            assertEquals(0.5f, opt.learningRate());
            assertThrows(IllegalArgumentException.class, () -> opt.setLearningRate(-1f));
        }
    }

    @org.junit.jupiter.api.Test
    void unknownNameAndBadHyperparametersAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Optimizers.create("lbfgs", backend, 0.1f, 0f));
        assertTrue(e.getMessage().contains("adam"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Optimizers.create("sgd", backend, 0f, 0f));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.create("adam", backend, 0.1f, -1f));
    }
}
