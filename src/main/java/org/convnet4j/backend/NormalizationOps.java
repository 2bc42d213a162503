package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * The normalization family's compute (LRN and batch norm), as each backend implements it: the
 * {@link Backend} ops on arguments {@link AbstractBackend} has already checked, with the geometry the
 * check returned.
 */
public interface NormalizationOps {
    void lrnForward(ChannelGeometry g, Tensor x, LrnSpec spec, Tensor scale, Tensor y);

    void lrnBackward(ChannelGeometry g, Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx);

    void batchNormForwardTraining(ChannelGeometry g, Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                  Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                  Tensor y);

    void batchNormForwardInference(ChannelGeometry g, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                   Tensor runningVar, float eps, Tensor y);

    void batchNormBackward(ChannelGeometry g, Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta);
}
