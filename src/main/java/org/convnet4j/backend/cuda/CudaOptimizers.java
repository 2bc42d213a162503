package org.convnet4j.backend.cuda;

import org.convnet4j.tensor.Tensor;

/**
 * The optimizer family on the GPU: the in-place update kernels of kernels/optimizers.cu, one thread per
 * parameter, with the formulas of {@link org.convnet4j.backend.Backend}'s update methods.
 */
final class CudaOptimizers {
    private final KernelLauncher launcher;

    CudaOptimizers(CudaOpContext context) {
        this.launcher = context.launcher();
    }

    void sgd(Tensor param, Tensor grad, float lr, float weightDecay) {
        launcher.launch("sgd_update_f32", param.size(), param, grad, param.size(), lr, weightDecay);
    }

    void momentum(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                  boolean nesterov) {
        launcher.launch("momentum_update_f32", param.size(), param, grad, velocity, param.size(), lr, momentum,
                weightDecay, nesterov ? 1 : 0);
    }

    void adagrad(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        launcher.launch("adagrad_update_f32", param.size(), param, grad, sumSquares, param.size(), lr, eps,
                weightDecay);
    }

    void rmsprop(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps, float weightDecay) {
        launcher.launch("rmsprop_update_f32", param.size(), param, grad, meanSquare, param.size(), lr, decay, eps,
                weightDecay);
    }

    /** Adam with the bias corrections 1 - beta^step computed here, once per call (step >= 1). */
    void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
              float weightDecay, int step) {
        float correction1 = (float) (1 - Math.pow(beta1, step));
        float correction2 = (float) (1 - Math.pow(beta2, step));
        launcher.launch("adam_update_f32", param.size(), param, grad, m, v, param.size(), lr, beta1, beta2, eps,
                weightDecay, correction1, correction2);
    }
}
