package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import org.convnet4j.backend.OptimizersOps;
import org.convnet4j.tensor.Tensor;

/**
 * The optimizers family on the CPU: in-place updates, element-wise; each first forms
 * g = grad + weightDecay * param. Arguments are checked by the backend (OpChecks) before they get here.
 */
final class CpuOptimizers implements OptimizersOps {
    private final CpuContext context;

    CpuOptimizers(CpuContext context) {
        this.context = context;
    }

    /** param -= lr * g. */
    @Override
    public void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        float[] p = floats(param);
        float[] gr = floats(grad);
        context.elementwise(param.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                p[i] -= lr * g;
            }
        });
    }

    /** v = momentum * v + g; param -= lr * v, or with nesterov lr * (g + momentum * v). */
    @Override
    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                               boolean nesterov) {
        float[] p = floats(param);
        float[] gr = floats(grad);
        float[] v = floats(velocity);
        context.elementwise(param.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float vi = momentum * v[i] + g;
                v[i] = vi;
                p[i] -= nesterov ? lr * (g + momentum * vi) : lr * vi;
            }
        });
    }

    /** sum += g^2; param -= lr * g / (sqrt(sum) + eps). */
    @Override
    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        float[] p = floats(param);
        float[] gr = floats(grad);
        float[] s = floats(sumSquares);
        context.elementwise(param.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float si = s[i] + g * g;
                s[i] = si;
                p[i] -= lr * g / ((float) Math.sqrt(si) + eps);
            }
        });
    }

    /** ms = decay * ms + (1 - decay) * g^2; param -= lr * g / (sqrt(ms) + eps). */
    @Override
    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        float[] p = floats(param);
        float[] gr = floats(grad);
        float[] ms = floats(meanSquare);
        context.elementwise(param.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float mi = decay * ms[i] + (1f - decay) * g * g;
                ms[i] = mi;
                p[i] -= lr * g / ((float) Math.sqrt(mi) + eps);
            }
        });
    }

    /** Adam with bias correction; step starts at 1. */
    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                           float weightDecay, int step) {
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2 = (float) (1.0 - Math.pow(beta2, step));
        float[] p = floats(param);
        float[] gr = floats(grad);
        float[] mv = floats(m);
        float[] vv = floats(v);
        context.elementwise(param.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float mi = beta1 * mv[i] + (1f - beta1) * g;
                float vi = beta2 * vv[i] + (1f - beta2) * g * g;
                mv[i] = mi;
                vv[i] = vi;
                p[i] -= lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
            }
        });
    }
}
