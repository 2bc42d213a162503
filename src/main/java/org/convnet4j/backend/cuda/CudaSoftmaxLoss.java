package org.convnet4j.backend.cuda;

import org.convnet4j.tensor.Tensor;

/**
 * The softmax loss family on the GPU: the kernels of kernels/softmax_loss.cu. Forward: one block per row
 * computes the stable softmax and the row's cross-entropy into the shared workspace, then one block takes
 * the rows' mean in a fixed order (deterministic). Backward: dlogits = (probs - onehot(labels)) / N.
 */
final class CudaSoftmaxLoss {
    private final KernelLauncher launcher;
    private final Workspace workspace;

    CudaSoftmaxLoss(CudaOpContext context) {
        this.launcher = context.launcher();
        this.workspace = context.workspace();
    }

    /** probs = softmax of each of the n rows of k logits; loss [1] = the mean cross-entropy against labels. */
    void forward(Tensor logits, Tensor labels, Tensor probs, Tensor loss, int n, int k) {
        long rowLoss = workspace.address(4L * n);
        launcher.launchGrid("softmax_xent_rows_f32", (int) Math.min(n, KernelLauncher.MAX_BLOCKS), 1, 1,
                KernelLauncher.BLOCK, 0, logits, labels, probs, rowLoss, n, k);
        launcher.launchGrid("mean_f32", 1, 1, 1, KernelLauncher.BLOCK, 0, rowLoss, loss, n);
    }

    /** dlogits = (probs - onehot(labels)) / n over n rows of k. */
    void backward(Tensor probs, Tensor labels, Tensor dlogits, int n, int k) {
        launcher.launch("softmax_xent_backward_f32", probs.size(), probs, labels, dlogits, n, k);
    }

    /** out[i] = the index of the largest of the k values of row i (the first one on ties). */
    void argmax(Tensor x, Tensor out, int n, int k) {
        launcher.launch("argmax_f32", n, x, out, n, k);
    }
}
