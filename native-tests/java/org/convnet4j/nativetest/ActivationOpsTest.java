package org.convnet4j.nativetest;

import org.convnet4j.backend.Activation;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** ReLU, sigmoid and tanh, forward (also in place) and backward, on numbers and on NaN: CUDA against the CPU. */
class ActivationOpsTest extends NativeOpTest {
    private static final Shape ACTIVATION = Shape.of(3, 7, 5, 11);

    private static Tolerance forwardTolerance(Activation f) {
        return f == Activation.RELU ? Tolerance.EXACT : Tolerance.TRANSCENDENTAL;
    }

    private static Tolerance backwardTolerance(Activation f) {
        return f == Activation.RELU ? Tolerance.EXACT : Tolerance.ELEMENTWISE;
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationForward(Activation f) {
        Twin x = both.uniform(ACTIVATION, -3, 3);
        Twin y = both.output(ACTIVATION);
        both.cpu.activationForward(f, x.cpu(), y.cpu());
        both.gpu.activationForward(f, x.gpu(), y.gpu());
        both.check("activationForward " + f + " y", y, forwardTolerance(f));

        both.cpu.activationForward(f, x.cpu(), x.cpu()); // y may be x
        both.gpu.activationForward(f, x.gpu(), x.gpu());
        both.check("activationForward " + f + " in place", x, forwardTolerance(f));
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationBackward(Activation f) {
        Twin x = both.uniform(ACTIVATION, -3, 3);
        Twin yc = both.output(ACTIVATION);
        both.cpu.activationForward(f, x.cpu(), yc.cpu());
        Twin y = both.values(ACTIVATION, both.cpuValues(yc)); // the same forward output on both sides
        Twin dy = both.uniform(ACTIVATION);
        Twin dx = both.output(ACTIVATION);
        both.cpu.activationBackward(f, y.cpu(), dy.cpu(), dx.cpu());
        both.gpu.activationBackward(f, y.gpu(), dy.gpu(), dx.gpu());
        both.check("activationBackward " + f + " dx", dx, backwardTolerance(f));

        both.cpu.activationBackward(f, y.cpu(), dy.cpu(), dy.cpu()); // dx may be dy
        both.gpu.activationBackward(f, y.gpu(), dy.gpu(), dy.gpu());
        both.check("activationBackward " + f + " in place", dy, backwardTolerance(f));
    }

    /**
     * NaN input (PyTorch's rule): every forward keeps NaN where x is NaN, ReLU's too; backward from that y,
     * ReLU gives 0 where y is NaN (y > 0 is false), sigmoid and tanh give NaN (dy times a NaN derivative).
     */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void nanInput(Activation f) {
        float[] v = new float[ACTIVATION.size()];
        boolean[] nanX = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            nanX[i] = i % 5 == 2;
            v[i] = nanX[i] ? Float.NaN : (float) (6 * both.random().nextDouble() - 3);
        }
        Twin x = both.values(ACTIVATION, v);
        Twin y = both.output(ACTIVATION);
        both.cpu.activationForward(f, x.cpu(), y.cpu());
        both.gpu.activationForward(f, x.gpu(), y.gpu());
        both.checkNaNAt("activationForward " + f + " y, NaN input", y, nanX, forwardTolerance(f));

        Twin yc = both.values(ACTIVATION, both.cpuValues(y)); // the same forward output on both sides
        Twin dy = both.uniform(ACTIVATION);
        Twin dx = both.output(ACTIVATION);
        both.cpu.activationBackward(f, yc.cpu(), dy.cpu(), dx.cpu());
        both.gpu.activationBackward(f, yc.gpu(), dy.gpu(), dx.gpu());
        boolean[] nanDx = f == Activation.RELU ? new boolean[v.length] : nanX;
        both.checkNaNAt("activationBackward " + f + " dx, NaN in y", dx, nanDx, backwardTolerance(f));
    }
}
