package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import org.convnet4j.backend.DropoutMask;
import org.convnet4j.backend.DropoutOps;
import org.convnet4j.tensor.Tensor;

/**
 * The dropout family on the CPU: inverted dropout with the mask {@link DropoutMask} computes, the same
 * on every backend for a seed. Arguments are checked by the backend (OpChecks) before they get here.
 */
final class CpuDropout implements DropoutOps {
    private final CpuContext context;

    CpuDropout(CpuContext context) {
        this.context = context;
    }

    /** mask[i] = DropoutMask.value(seed, i, p), y = x * mask. */
    @Override
    public void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        float[] xv = floats(x);
        float[] mv = floats(mask);
        float[] yv = floats(y);
        context.elementwise(x.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float m = DropoutMask.value(seed, i, p);
                mv[i] = m;
                yv[i] = xv[i] * m;
            }
        });
    }

    /** dx = dy * mask; dx may be dy. */
    @Override
    public void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        float[] dyv = floats(dy);
        float[] mv = floats(mask);
        float[] dxv = floats(dx);
        context.elementwise(dy.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                dxv[i] = dyv[i] * mv[i];
            }
        });
    }
}
