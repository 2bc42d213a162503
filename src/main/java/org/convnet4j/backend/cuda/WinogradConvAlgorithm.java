package org.convnet4j.backend.cuda;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.tensor.Tensor;

/**
 * Winograd F(2x2,3x3) ({@code winograd2x2}) or F(4x4,3x3) ({@code winograd4x4}) in the registry: the passes of
 * {@link CudaConvolutionWinograd}, for 3x3 filters with stride 1 and dilation 1 (any padding, any groups: a batch
 * of T*groups GEMMs). Deterministic
 * (fixed chunks, fixed GEMM batches). Its filter gradient leaves the bias to the dense family's per-channel
 * reduction over dy.
 */
final class WinogradConvAlgorithm extends SeparateBiasConvAlgorithm {
    private final CudaConvolutionWinograd winograd;
    private final String name;

    /** tile: 2 or 4, the output tile's side. */
    WinogradConvAlgorithm(CudaOpContext context, int tile) {
        super(context);
        this.winograd = new CudaConvolutionWinograd(context, tile);
        this.name = "winograd" + tile + "x" + tile;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean deterministic() {
        return true;
    }

    @Override
    public String whyNot(ConvGeometry g, ConvPass pass) {
        return CudaConvolutionWinograd.applies(g) ? null : "needs a 3x3 filter, stride 1, dilation 1";
    }

    @Override
    public boolean supportsGroups() {
        return true;
    }

    @Override
    public long workspaceBytes(ConvGeometry g, ConvPass pass) {
        return winograd.workspaceBytes(g, CudaConvolutionWinograd.Pass.valueOf(pass.name()));
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        winograd.forward(g, x, w, bias, y);
    }

    @Override
    public void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        winograd.backwardData(g, dy, w, dx);
    }

    @Override
    void filterGradient(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        winograd.backwardFilter(g, x, dy, dw);
    }
}
