package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.ActivationOps;
import org.convnet4j.tensor.Tensor;

/**
 * The activation family on the CPU, element-wise. ReLU propagates NaN forward ({@code x < 0 ? 0 : x});
 * its backward passes dy where y &gt; 0, so a NaN output passes no gradient. Arguments are checked by
 * the backend (OpChecks) before they get here.
 */
final class CpuActivation implements ActivationOps {
    private final CpuContext context;

    CpuActivation(CpuContext context) {
        this.context = context;
    }

    /** y = f(x); y may be x. */
    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        float[] xv = floats(x);
        float[] yv = floats(y);
        context.elementwise(x.size(), (i0, i1) -> {
            switch (f) {
                case RELU -> {
                    for (int i = i0; i < i1; i++) {
                        float v = xv[i];
                        yv[i] = v < 0f ? 0f : v; // NaN stays NaN
                    }
                }
                case SIGMOID -> {
                    for (int i = i0; i < i1; i++) {
                        yv[i] = (float) (1.0 / (1.0 + Math.exp(-xv[i])));
                    }
                }
                case TANH -> {
                    for (int i = i0; i < i1; i++) {
                        yv[i] = (float) Math.tanh(xv[i]);
                    }
                }
                default -> throw new IllegalArgumentException("activationForward: unknown activation " + f);
            }
        });
    }

    /** dx = dy * f'(from the forward output y); dx may be dy. */
    @Override
    public void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        float[] yv = floats(y);
        float[] dyv = floats(dy);
        float[] dxv = floats(dx);
        context.elementwise(y.size(), (i0, i1) -> {
            switch (f) {
                case RELU -> {
                    for (int i = i0; i < i1; i++) {
                        dxv[i] = yv[i] > 0f ? dyv[i] : 0f;
                    }
                }
                case SIGMOID -> {
                    for (int i = i0; i < i1; i++) {
                        float v = yv[i];
                        dxv[i] = dyv[i] * v * (1f - v);
                    }
                }
                case TANH -> {
                    for (int i = i0; i < i1; i++) {
                        float v = yv[i];
                        dxv[i] = dyv[i] * (1f - v * v);
                    }
                }
                default -> throw new IllegalArgumentException("activationBackward: unknown activation " + f);
            }
        });
    }
}
