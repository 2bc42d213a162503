package org.convnet4j.nativetest;

import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The in-place optimizer updates: CUDA against the CPU. Parameters and optimizer state are read and written,
 * so they start from the same random values on both sides; each update runs three times so that state
 * carried between steps is compared too.
 */
class OptimizersOpsTest extends NativeOpTest {
    private static final Shape PARAM = Shape.of(37, 5, 3, 3);
    private static final int STEPS = 3;

    @ParameterizedTest(name = "weightDecay={0}")
    @CsvSource({"0", "0.01"})
    void sgd(float wd) {
        Twin p = both.uniform(PARAM);
        for (int step = 1; step <= STEPS; step++) {
            Twin g = both.uniform(PARAM);
            both.cpu.sgdUpdate(p.cpu(), g.cpu(), 0.1f, wd);
            both.gpu.sgdUpdate(p.gpu(), g.gpu(), 0.1f, wd);
        }
        both.check("sgdUpdate param, wd " + wd, p, Tolerance.ELEMENTWISE);
    }

    @ParameterizedTest(name = "nesterov={0} weightDecay={1}")
    @CsvSource({"false, 0", "true, 0", "false, 0.005", "true, 0.005"})
    void momentum(boolean nesterov, float wd) {
        Twin p = both.uniform(PARAM);
        Twin v = both.uniform(PARAM);
        for (int step = 1; step <= STEPS; step++) {
            Twin g = both.uniform(PARAM);
            both.cpu.momentumUpdate(p.cpu(), g.cpu(), v.cpu(), 0.05f, 0.9f, wd, nesterov);
            both.gpu.momentumUpdate(p.gpu(), g.gpu(), v.gpu(), 0.05f, 0.9f, wd, nesterov);
        }
        both.check("momentumUpdate param, nesterov " + nesterov + ", wd " + wd, p, Tolerance.ELEMENTWISE);
        both.check("momentumUpdate velocity, nesterov " + nesterov + ", wd " + wd, v, Tolerance.ELEMENTWISE);
    }

    @Test
    void adagrad() {
        Twin p = both.uniform(PARAM);
        Twin sum = both.uniform(PARAM, 0, 1);
        for (int step = 1; step <= STEPS; step++) {
            Twin g = both.uniform(PARAM);
            both.cpu.adagradUpdate(p.cpu(), g.cpu(), sum.cpu(), 0.01f, 1e-10f, 0.001f);
            both.gpu.adagradUpdate(p.gpu(), g.gpu(), sum.gpu(), 0.01f, 1e-10f, 0.001f);
        }
        both.check("adagradUpdate param", p, Tolerance.TRANSCENDENTAL);
        both.check("adagradUpdate sumSquares", sum, Tolerance.ELEMENTWISE);
    }

    @Test
    void rmsprop() {
        Twin p = both.uniform(PARAM);
        Twin ms = both.uniform(PARAM, 0, 1);
        for (int step = 1; step <= STEPS; step++) {
            Twin g = both.uniform(PARAM);
            both.cpu.rmspropUpdate(p.cpu(), g.cpu(), ms.cpu(), 0.01f, 0.99f, 1e-8f, 0.001f);
            both.gpu.rmspropUpdate(p.gpu(), g.gpu(), ms.gpu(), 0.01f, 0.99f, 1e-8f, 0.001f);
        }
        both.check("rmspropUpdate param", p, Tolerance.TRANSCENDENTAL);
        both.check("rmspropUpdate meanSquare", ms, Tolerance.ELEMENTWISE);
    }

    @ParameterizedTest(name = "first step={0}")
    @CsvSource({"1", "7"})
    void adam(int firstStep) {
        Twin p = both.uniform(PARAM);
        Twin m = both.uniform(PARAM, -0.1f, 0.1f);
        Twin v = both.uniform(PARAM, 0, 0.1f);
        for (int step = firstStep; step < firstStep + STEPS; step++) {
            Twin g = both.uniform(PARAM);
            both.cpu.adamUpdate(p.cpu(), g.cpu(), m.cpu(), v.cpu(), 0.001f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
            both.gpu.adamUpdate(p.gpu(), g.gpu(), m.gpu(), v.gpu(), 0.001f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
        }
        both.check("adamUpdate param, steps from " + firstStep, p, Tolerance.TRANSCENDENTAL);
        both.check("adamUpdate m, steps from " + firstStep, m, Tolerance.ELEMENTWISE);
        both.check("adamUpdate v, steps from " + firstStep, v, Tolerance.ELEMENTWISE);
    }
}
