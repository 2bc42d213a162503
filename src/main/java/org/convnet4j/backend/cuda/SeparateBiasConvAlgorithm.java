package org.convnet4j.backend.cuda;

import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.tensor.Tensor;

/**
 * A registry algorithm whose filter gradient does not touch the bias: its {@link #filterGradient} computes dw,
 * and the bias gradient, when asked for, is the dense family's per-channel reduction over dy (the same for every
 * such algorithm; im2col fuses its own into its pass over dy's chunks instead).
 */
abstract class SeparateBiasConvAlgorithm implements ConvAlgorithm {
    private final CudaDense dense;

    SeparateBiasConvAlgorithm(CudaOpContext context) {
        this.dense = new CudaDense(context);
    }

    /** dw [FN, C/groups, FH, FW] += the filter gradient. */
    abstract void filterGradient(ConvGeometry g, Tensor x, Tensor dy, Tensor dw);

    @Override
    public final void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        filterGradient(g, x, dy, dw);
        if (dbias != null) {
            dense.biasGradient(new ChannelGeometry(g.n(), g.fn(), g.p()), dy, dbias);
        }
    }
}
