package org.convnet4j.backend.cuda;

import org.convnet4j.tensor.Tensor;

/**
 * The dropout family on the GPU: the kernels of kernels/dropout.cu. The mask is a pure function of
 * (seed, index), the same as {@link org.convnet4j.backend.DropoutMask} on the CPU.
 */
final class CudaDropout {
    private final KernelLauncher launcher;

    CudaDropout(CudaOpContext context) {
        this.launcher = context.launcher();
    }

    /** mask = 0 with probability p, else 1/(1-p); y = x * mask. */
    void forward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        float scale = 1f / (1f - p); // the same float expression as DropoutMask.value
        launcher.launch("dropout_forward_f32", x.size(), x, mask, y, x.size(), seed, p, scale);
    }

    /** dx = dy * mask. */
    void backward(Tensor dy, Tensor mask, Tensor dx) {
        launcher.launch("dropout_backward_f32", dy.size(), dy, mask, dx, dy.size());
    }
}
