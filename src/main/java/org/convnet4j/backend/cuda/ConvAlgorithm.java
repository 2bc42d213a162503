package org.convnet4j.backend.cuda;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.tensor.Tensor;

/**
 * One way to compute a convolution's passes on the GPU, the way cuDNN's algorithms are (an entry of
 * {@link CudaConvolution}'s registry, named as in {@link org.convnet4j.backend.ConvAlgorithms}). Arguments are
 * the backend's tensors, NCHW float32, with the shapes {@link ConvGeometry} gives, already checked; a null bias
 * or dbias means none. Scratch memory comes from the backend's shared workspace, at most
 * {@link #workspaceBytes} of it, from its start.
 */
interface ConvAlgorithm {
    /** The registry name, e.g. "im2col". */
    String name();

    /** Whether two runs on the same inputs give the same bits (auto picks only deterministic algorithms). */
    boolean deterministic();

    /**
     * Why this algorithm cannot run pass of g (e.g. "filter 11x11, needs 3x3"), or null when it can. Asked only
     * through {@link #whyNotFor}, so only for one group unless {@link #supportsGroups}.
     */
    String whyNot(ConvGeometry g, ConvPass pass);

    /** Whether it computes grouped convolutions (groups &gt; 1); the registry declines them for one that does not. */
    default boolean supportsGroups() {
        return false;
    }

    /**
     * Why a cannot run pass of g, or null when it can: groups &gt; 1 where a does not {@link #supportsGroups}, else
     * its own {@link #whyNot}. The registry and the finder ask only this, so an algorithm that says nothing about
     * groups is safe.
     */
    static String whyNotFor(ConvAlgorithm a, ConvGeometry g, ConvPass pass) {
        return g.groups() > 1 && !a.supportsGroups()
                ? "groups " + g.groups() + ": " + a.name() + " runs one group only" : a.whyNot(g, pass);
    }

    default boolean applies(ConvGeometry g, ConvPass pass) {
        return whyNotFor(this, g, pass) == null;
    }

    /** The workspace pass of g takes, in bytes (only asked where the algorithm applies). */
    long workspaceBytes(ConvGeometry g, ConvPass pass);

    /** y [N, FN, OH, OW] = conv(x, w) + bias. */
    void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y);

    /** dx [N, C, H, W] = the gradient with respect to the input, overwritten. */
    void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    /** dw [FN, C, FH, FW] += the filter gradient, dbias [FN] += the sums of dy per channel. */
    void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias);
}
