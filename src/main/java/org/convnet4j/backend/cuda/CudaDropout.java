package org.convnet4j.backend.cuda;

import org.convnet4j.backend.DropoutOps;
import org.convnet4j.tensor.Tensor;

/**
 * The dropout family on the GPU: the kernels of kernels/dropout.cu. The mask is a pure function of
 * (seed, index), the same as {@link org.convnet4j.backend.DropoutMask} on the CPU. The seed changes every
 * training step, so it is a per-step scalar ({@link StepScalars}), one slot per mask buffer, read by the
 * kernel from device memory: a captured graph of the step then draws the mask of the step it replays.
 */
final class CudaDropout implements DropoutOps {
    private final KernelLauncher launcher;
    private final StepScalars scalars;

    CudaDropout(CudaOpContext context, StepScalars scalars) {
        this.launcher = context.launcher();
        this.scalars = scalars;
    }

    /** mask = 0 with probability p, else 1/(1-p); y = x * mask. */
    @Override
    public void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        float scale = 1f / (1f - p); // the same float expression as DropoutMask.value
        String slot = "dropout seed of the mask at 0x" + Long.toHexString(CudaTensor.addressOf(mask));
        scalars.set(slot, seed);
        launcher.launch("dropout_forward_f32", x.size(), x, mask, y, x.size(), scalars.slot(slot, 2), p, scale);
    }

    /** dx = dy * mask. */
    @Override
    public void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        launcher.launch("dropout_backward_f32", dy.size(), dy, mask, dx, dy.size());
    }
}
