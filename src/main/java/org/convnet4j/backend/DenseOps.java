package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the dense family (GEMM, linear, bias): the {@link Backend} ops of the family on
 * arguments {@link AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface DenseOps {
    void gemm(GemmGeometry g, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha,
              float beta);

    void linearForward(LinearGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y);

    void linearBackward(LinearGeometry g, Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias);

    void addBias(ChannelGeometry g, Tensor y, Tensor bias);

    void biasGradient(ChannelGeometry g, Tensor dy, Tensor dbias);
}
