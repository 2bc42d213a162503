package org.convnet4j.nn;

import org.convnet4j.backend.OutputRounding;

/**
 * What the builders of the windowed layers ({@link Conv2d}, {@link Pool2d}) share: the layer's name, its
 * window (kernel), stride, zero padding and output-size rounding, each square or per axis.
 *
 * @param <B> the concrete builder, returned by every setter so calls chain
 */
public abstract class WindowBuilder<B extends WindowBuilder<B>> {
    String name;
    int kernelH;
    int kernelW;
    int strideH;
    int strideW;
    int padH;
    int padW;
    OutputRounding rounding = OutputRounding.EXACT;

    WindowBuilder(int defaultStride) {
        this.strideH = defaultStride;
        this.strideW = defaultStride;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    public B name(String name) {
        this.name = name;
        return self();
    }

    /** Square window FH = FW = k. */
    public B kernel(int k) {
        return kernel(k, k);
    }

    public B kernel(int kh, int kw) {
        this.kernelH = kh;
        this.kernelW = kw;
        return self();
    }

    public B stride(int s) {
        return stride(s, s);
    }

    public B stride(int sh, int sw) {
        this.strideH = sh;
        this.strideW = sw;
        return self();
    }

    public B pad(int p) {
        return pad(p, p);
    }

    public B pad(int ph, int pw) {
        this.padH = ph;
        this.padW = pw;
        return self();
    }

    /** EXACT (default) rejects output sizes that are not whole numbers; FLOOR rounds down. */
    public B rounding(OutputRounding rounding) {
        this.rounding = rounding;
        return self();
    }
}
