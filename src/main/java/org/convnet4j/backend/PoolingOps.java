package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the pooling family: the {@link Backend} ops of the family on arguments {@link
 * AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface PoolingOps {
    void maxPoolForward(PoolGeometry g, Tensor x, Tensor y, Tensor switches);

    void maxPoolBackward(PoolGeometry g, Tensor dy, Tensor switches, Tensor dx);

    void avgPoolForward(PoolGeometry g, Tensor x, Tensor y);

    void avgPoolBackward(PoolGeometry g, Tensor dy, Tensor dx);

    void globalAvgPoolForward(ChannelGeometry g, Tensor x, Tensor y);

    void globalAvgPoolBackward(ChannelGeometry g, Tensor dy, Tensor dx);
}
