package org.convnet4j.backend.cuda;

import org.convnet4j.backend.RowGeometry;
import org.convnet4j.backend.SoftmaxLossOps;
import org.convnet4j.tensor.Tensor;

/**
 * The softmax loss family on the GPU: the kernels of kernels/softmax_loss.cu. Forward: one block per row
 * computes the stable softmax and the row's cross-entropy into the shared workspace, then one block takes
 * the rows' mean in a fixed order (deterministic). Backward: dlogits = (probs - onehot(labels)) / N.
 */
final class CudaSoftmaxLoss implements SoftmaxLossOps {
    private final KernelLauncher launcher;
    private final Workspace workspace;

    CudaSoftmaxLoss(CudaOpContext context) {
        this.launcher = context.launcher();
        this.workspace = context.workspace();
    }

    /** probs = softmax of each row of logits; loss [1] = the mean cross-entropy against labels. */
    @Override
    public void softmaxCrossEntropyForward(RowGeometry g, Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        int n = g.n();
        long rowLoss = workspace.address(4L * n);
        launcher.launchGrid("softmax_xent_rows_f32", (int) Math.min(n, KernelLauncher.MAX_BLOCKS), 1, 1,
                KernelLauncher.BLOCK, 0, logits, labels, probs, rowLoss, n, g.k());
        launcher.launchGrid("mean_f32", 1, 1, 1, KernelLauncher.BLOCK, 0, rowLoss, loss, n);
    }

    /** dlogits = (probs - onehot(labels)) / n. */
    @Override
    public void softmaxCrossEntropyBackward(RowGeometry g, Tensor probs, Tensor labels, Tensor dlogits) {
        launcher.launch("softmax_xent_backward_f32", probs.size(), probs, labels, dlogits, g.n(), g.k());
    }

    /** out[i] = the index of the largest value of row i (the first one on ties). */
    @Override
    public void argmax(RowGeometry g, Tensor x, Tensor out) {
        launcher.launch("argmax_f32", g.n(), x, out, g.n(), g.k());
    }

    /** tallies[slot] = (loss[0] when given, matches among the first count): one block (tally_batch_f32). */
    @Override
    public void tallyBatch(Tensor predictions, Tensor labels, int count, Tensor loss, Tensor tallies, int slot) {
        launcher.launchGrid("tally_batch_f32", 1, 1, 1, KernelLauncher.BLOCK, 0, predictions, labels, count,
                loss != null ? loss : (Object) 0L, tallies, slot);
    }
}
