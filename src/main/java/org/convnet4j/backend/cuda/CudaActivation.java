package org.convnet4j.backend.cuda;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.ActivationOps;
import org.convnet4j.tensor.Tensor;

/** The activation family on the GPU: the element-wise kernels of kernels/activation.cu. */
final class CudaActivation implements ActivationOps {
    private final KernelLauncher launcher;

    CudaActivation(CudaOpContext context) {
        this.launcher = context.launcher();
    }

    /** y = f(x), element-wise (y may be x). */
    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        launcher.launch(kernel(f, "forward"), x.size(), x, y, x.size());
    }

    /** dx = dy * f'(x), written in terms of y = f(x). */
    @Override
    public void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        launcher.launch(kernel(f, "backward"), y.size(), y, dy, dx, y.size());
    }

    private static String kernel(Activation f, String direction) {
        return switch (f) {
            case RELU -> "relu_" + direction + "_f32";
            case SIGMOID -> "sigmoid_" + direction + "_f32";
            case TANH -> "tanh_" + direction + "_f32";
        };
    }
}
