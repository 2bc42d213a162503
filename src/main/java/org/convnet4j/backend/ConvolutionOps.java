package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the convolution family: the {@link Backend} ops of the family on arguments {@link
 * AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface ConvolutionOps {
    void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y);

    void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    void conv2dBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias);
}
