package org.convnet4j.backend.cuda;

import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.NormalizationOps;
import org.convnet4j.tensor.Tensor;

/**
 * The normalization family on the GPU: the kernels of kernels/normalization.cu, local response
 * normalization across channels (one thread per element) and batch normalization per channel (one block
 * per channel for the statistics and their gradients, a fixed-order reduction; one thread per element for
 * inference). Tensors are seen as [N, C, S] ({@link ChannelGeometry}).
 */
final class CudaNormalization implements NormalizationOps {
    private final KernelLauncher launcher;

    CudaNormalization(CudaOpContext context) {
        this.launcher = context.launcher();
    }

    /** y = x / scale^beta with scale = k + alpha/size * the sum of x^2 over size neighbouring channels. */
    @Override
    public void lrnForward(ChannelGeometry g, Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        launcher.launch("lrn_forward_f32", x.size(), x, scale, y, g.n(), g.channels(), g.inner(), spec.size(),
                spec.alpha(), spec.beta(), spec.k());
    }

    @Override
    public void lrnBackward(ChannelGeometry g, Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        launcher.launch("lrn_backward_f32", x.size(), x, y, scale, dy, dx, g.n(), g.channels(), g.inner(),
                spec.size(), spec.alpha(), spec.beta());
    }

    /** y from the batch's statistics; the running ones move by momentum; saves mean and 1/sqrt(var + eps). */
    @Override
    public void batchNormForwardTraining(ChannelGeometry g, Tensor x, Tensor gamma, Tensor beta, float momentum,
                                         float eps, Tensor runningMean, Tensor runningVar, Tensor saveMean,
                                         Tensor saveInvStd, Tensor y) {
        launcher.launchGrid("batchnorm_forward_training_f32", g.channels(), 1, 1, KernelLauncher.BLOCK, 0, x, gamma,
                beta, y, runningMean, runningVar, saveMean, saveInvStd, g.n(), g.channels(), g.inner(), momentum,
                eps);
    }

    /** y from the running statistics. */
    @Override
    public void batchNormForwardInference(ChannelGeometry g, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                          Tensor runningVar, float eps, Tensor y) {
        launcher.launch("batchnorm_forward_inference_f32", x.size(), x, gamma, beta, runningMean, runningVar, y,
                g.n(), g.channels(), g.inner(), eps);
    }

    /** dx, with dgamma and dbeta accumulated, from the statistics the training forward saved. */
    @Override
    public void batchNormBackward(ChannelGeometry g, Tensor x, Tensor dy, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta) {
        launcher.launchGrid("batchnorm_backward_f32", g.channels(), 1, 1, KernelLauncher.BLOCK, 0, x, dy, gamma,
                saveMean, saveInvStd, dx, dgamma, dbeta, g.n(), g.channels(), g.inner());
    }
}
