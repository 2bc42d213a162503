package org.convnet4j.backend;

import org.convnet4j.tensor.Shape;

/**
 * Stride, zero padding, dilation and groups of a 2-D convolution (cross-correlation, as in every framework).
 * Input x is [N, C, H, W], weights W are [FN, C/groups, FH, FW], bias b is [FN], output y is
 * [N, FN, OH, OW] with OH = (H + 2*padH - dilationH*(FH-1) - 1)/strideH + 1 and likewise OW.
 *
 * <p>Groups (Caffe's {@code group}, PyTorch's {@code groups}): the C input channels and the FN filters are cut
 * into {@code groups} equal, consecutive slices, and filter f of slice g = f / (FN/groups) sees only input
 * channels [g*C/groups, (g+1)*C/groups): y[n, f] = sum over c' &lt; C/groups of x[n, g*C/groups + c'] (*) W[f, c'].
 * groups = 1 is the ordinary convolution, groups = C with FN = C the depthwise one.
 */
public record ConvSpec(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                       OutputRounding rounding, int groups) {

    public ConvSpec {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0 || groups < 1) {
            throw new IllegalArgumentException("convolution needs stride >= 1, dilation >= 1, pad >= 0 and "
                    + "groups >= 1, got stride " + strideH + "x" + strideW + ", pad " + padH + "x" + padW
                    + ", dilation " + dilationH + "x" + dilationW + ", groups " + groups);
        }
        if (rounding == null) {
            throw new IllegalArgumentException("rounding must not be null");
        }
    }

    /** One group: the ordinary convolution. */
    public ConvSpec(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                    OutputRounding rounding) {
        this(strideH, strideW, padH, padW, dilationH, dilationW, rounding, 1);
    }

    /** Square stride and padding, no dilation, exact output sizes. */
    public static ConvSpec of(int stride, int pad) {
        return new ConvSpec(stride, stride, pad, pad, 1, 1, OutputRounding.EXACT);
    }

    public ConvSpec withDilation(int dh, int dw) {
        return new ConvSpec(strideH, strideW, padH, padW, dh, dw, rounding, groups);
    }

    public ConvSpec withRounding(OutputRounding r) {
        return new ConvSpec(strideH, strideW, padH, padW, dilationH, dilationW, r, groups);
    }

    /** The same spec with g groups (see the class comment). */
    public ConvSpec withGroups(int g) {
        return new ConvSpec(strideH, strideW, padH, padW, dilationH, dilationW, rounding, g);
    }

    /**
     * Checks x [N,C,H,W] against weights [FN,C/groups,FH,FW] (C and FN divisible by groups) and returns the
     * output shape [N,FN,OH,OW].
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
        if (groups == 1 && w.dim(1) != x.dim(1)) {
            throw new IllegalArgumentException(layer + ": input " + x + " has " + x.dim(1)
                    + " channels but weights " + w + " expect " + w.dim(1));
        }
        if (groups > 1) {
            checkGroups(layer, x, w);
        }
        int oh = OutputSize.of(layer + " height", x.dim(2), w.dim(2), strideH, padH, dilationH, rounding);
        int ow = OutputSize.of(layer + " width", x.dim(3), w.dim(3), strideW, padW, dilationW, rounding);
        return Shape.of(x.dim(0), w.dim(0), oh, ow);
    }

    /** C and FN divisible by groups, and weights [FN, C/groups, FH, FW]. */
    private void checkGroups(String layer, Shape x, Shape w) {
        if (x.dim(1) % groups != 0 || w.dim(0) % groups != 0) {
            throw new IllegalArgumentException(layer + ": groups " + groups + " must divide the input channels C and "
                    + "the filters FN, got input " + x + " (C " + x.dim(1) + ") and weights " + w + " (FN " + w.dim(0)
                    + ")");
        }
        if (w.dim(1) != x.dim(1) / groups) {
            throw new IllegalArgumentException(layer + ": with groups " + groups + " the weights must be [FN, C/groups,"
                    + " FH, FW] = " + Shape.of(w.dim(0), x.dim(1) / groups, w.dim(2), w.dim(3)) + " for input " + x
                    + ", got " + w);
        }
    }
}
