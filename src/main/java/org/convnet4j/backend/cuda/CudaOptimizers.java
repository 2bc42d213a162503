package org.convnet4j.backend.cuda;

import org.convnet4j.backend.OptimizersOps;
import org.convnet4j.tensor.Tensor;

/**
 * The optimizer family on the GPU: the in-place update kernels of kernels/optimizers.cu, one thread per
 * parameter, with the formulas of {@link org.convnet4j.backend.Backend}'s update methods. The learning rate
 * and Adam's step count are per-step scalars: written to their {@link StepScalars} slots (a fill on the
 * stream when they change, once per step) and read there by the kernels, so a captured graph of the step
 * applies the values of the step it replays.
 */
final class CudaOptimizers implements OptimizersOps {
    private static final String LR = "optimizer learning rate";
    private static final String STEP = "optimizer step";

    private final KernelLauncher launcher;
    private final StepScalars scalars;

    CudaOptimizers(CudaOpContext context, StepScalars scalars) {
        this.launcher = context.launcher();
        this.scalars = scalars;
    }

    /** The device address of the learning rate, set to lr. */
    private long lr(float lr) {
        scalars.set(LR, lr);
        return scalars.slot(LR, 1);
    }

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        launcher.launch("sgd_update_f32", param.size(), param, grad, param.size(), lr(lr), weightDecay);
    }

    @Override
    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                               boolean nesterov) {
        launcher.launch("momentum_update_f32", param.size(), param, grad, velocity, param.size(), lr(lr), momentum,
                weightDecay, nesterov ? 1 : 0);
    }

    @Override
    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        launcher.launch("adagrad_update_f32", param.size(), param, grad, sumSquares, param.size(), lr(lr), eps,
                weightDecay);
    }

    @Override
    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        launcher.launch("rmsprop_update_f32", param.size(), param, grad, meanSquare, param.size(), lr(lr), decay, eps,
                weightDecay);
    }

    /** Adam; the kernel forms the bias corrections 1 - beta^step from the device's step (step >= 1). */
    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                           float weightDecay, int step) {
        long lrAddress = lr(lr);
        scalars.set(STEP, step);
        launcher.launch("adam_update_f32", param.size(), param, grad, m, v, param.size(), lrAddress,
                scalars.slot(STEP, 1), beta1, beta2, eps, weightDecay);
    }
}
