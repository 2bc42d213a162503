package org.convnet4j.backend;

import org.convnet4j.tensor.Shape;

/**
 * Window, stride and zero padding of 2-D pooling over each channel of an NCHW tensor.
 * OH = (H + 2*padH - kernelH)/strideH + 1, likewise OW. Windows may overlap (AlexNet: 3x3, stride 2).
 * Padding must be smaller than the window, so that every window holds at least one real element;
 * max pooling ignores padded positions, average pooling counts them as zeros (divides by kernelH*kernelW).
 */
public record PoolSpec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                       OutputRounding rounding) {

    public PoolSpec {
        if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("pooling needs window >= 1, stride >= 1, pad >= 0, got window "
                    + kernelH + "x" + kernelW + ", stride " + strideH + "x" + strideW + ", pad " + padH + "x" + padW);
        }
        if (padH >= kernelH || padW >= kernelW) {
            throw new IllegalArgumentException("pooling padding " + padH + "x" + padW
                    + " must be smaller than the window " + kernelH + "x" + kernelW);
        }
        if (rounding == null) {
            throw new IllegalArgumentException("rounding must not be null");
        }
    }

    /** Square window and stride, no padding, exact output sizes. */
    public static PoolSpec of(int kernel, int stride) {
        return new PoolSpec(kernel, kernel, stride, stride, 0, 0, OutputRounding.EXACT);
    }

    public PoolSpec withPadding(int ph, int pw) {
        return new PoolSpec(kernelH, kernelW, strideH, strideW, ph, pw, rounding);
    }

    public PoolSpec withRounding(OutputRounding r) {
        return new PoolSpec(kernelH, kernelW, strideH, strideW, padH, padW, r);
    }

    /** Checks x [N,C,H,W] and returns the output shape [N,C,OH,OW]. */
    public Shape outputShape(String layer, Shape x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(layer + ": input must be NCHW (rank 4), got " + x);
        }
        int oh = OutputSize.of(layer + " height", x.dim(2), kernelH, strideH, padH, 1, rounding);
        int ow = OutputSize.of(layer + " width", x.dim(3), kernelW, strideW, padW, 1, rounding);
        return Shape.of(x.dim(0), x.dim(1), oh, ow);
    }
}
