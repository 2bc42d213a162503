package org.convnet4j.backend;

import org.convnet4j.tensor.Shape;

/**
 * Stride, zero padding and dilation of a 2-D convolution (cross-correlation, as in every framework).
 * Input x is [N, C, H, W], weights W are [FN, C, FH, FW], bias b is [FN], output y is
 * [N, FN, OH, OW] with OH = (H + 2*padH - dilationH*(FH-1) - 1)/strideH + 1 and likewise OW.
 */
public record ConvSpec(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                       OutputRounding rounding) {

    public ConvSpec {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("convolution needs stride >= 1, dilation >= 1 and pad >= 0, got "
                    + "stride " + strideH + "x" + strideW + ", pad " + padH + "x" + padW
                    + ", dilation " + dilationH + "x" + dilationW);
        }
        if (rounding == null) {
            throw new IllegalArgumentException("rounding must not be null");
        }
    }

    /** Square stride and padding, no dilation, exact output sizes. */
    public static ConvSpec of(int stride, int pad) {
        return new ConvSpec(stride, stride, pad, pad, 1, 1, OutputRounding.EXACT);
    }

    public ConvSpec withDilation(int dh, int dw) {
        return new ConvSpec(strideH, strideW, padH, padW, dh, dw, rounding);
    }

    public ConvSpec withRounding(OutputRounding r) {
        return new ConvSpec(strideH, strideW, padH, padW, dilationH, dilationW, r);
    }

    /**
     * Checks x [N,C,H,W] against weights [FN,C,FH,FW] and returns the output shape [N,FN,OH,OW].
     *
     * @param layer names the layer in error messages
     */
    public Shape outputShape(String layer, Shape x, Shape w) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(layer + ": input must be NCHW (rank 4), got " + x);
        }
        if (w.rank() != 4) {
            throw new IllegalArgumentException(layer + ": weights must be [FN, C, FH, FW] (rank 4), got " + w);
        }
        if (w.dim(1) != x.dim(1)) {
            throw new IllegalArgumentException(layer + ": input " + x + " has " + x.dim(1)
                    + " channels but weights " + w + " expect " + w.dim(1));
        }
        int oh = OutputSize.of(layer + " height", x.dim(2), w.dim(2), strideH, padH, dilationH, rounding);
        int ow = OutputSize.of(layer + " width", x.dim(3), w.dim(3), strideW, padW, dilationW, rounding);
        return Shape.of(x.dim(0), w.dim(0), oh, ow);
    }
}
