package org.convnet4j.backend.cuda;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.tensor.Tensor;

/**
 * FFT convolution through cuFFT ({@code fft}) in the registry: the passes of {@link CudaConvolutionFft}, for
 * stride 1, dilation 1 and filters of at least 3x3; the find step decides where it wins. Where cuFFT did not load
 * it declines every convolution with the load error, so the registry offers it nowhere. Deterministic (fixed
 * plans and chunks, the product summed in order). Its filter gradient leaves the bias to
 * {@link SeparateBiasConvAlgorithm}.
 */
final class FftConvAlgorithm extends SeparateBiasConvAlgorithm implements AutoCloseable {
    private final CudaConvolutionFft fft;
    private final String unavailable;

    FftConvAlgorithm(CudaOpContext context, Cufft.Binding cufft) {
        super(context);
        this.fft = cufft.cufft() == null ? null : new CudaConvolutionFft(context, cufft.cufft());
        this.unavailable = cufft.unavailable();
    }

    @Override
    public String name() {
        return "fft";
    }

    @Override
    public boolean deterministic() {
        return true;
    }

    @Override
    public String whyNot(ConvGeometry g, ConvPass pass) {
        return fft == null ? "cuFFT is not available: " + unavailable : fft.whyNot(g);
    }

    @Override
    public long workspaceBytes(ConvGeometry g, ConvPass pass) {
        return fft.workspaceBytes(g, pass);
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        fft.forward(g, x, w, bias, y);
    }

    @Override
    public void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        fft.backwardData(g, dy, w, dx);
    }

    @Override
    void filterGradient(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        fft.backwardFilter(g, x, dy, dw);
    }

    /** Destroys the cuFFT plans. */
    @Override
    public void close() {
        if (fft != null) {
            fft.close();
        }
    }
}
