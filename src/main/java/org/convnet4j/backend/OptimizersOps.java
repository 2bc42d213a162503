package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the optimizer family: the {@link Backend} ops of the family on arguments {@link
 * AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface OptimizersOps {
    void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay);

    void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                        boolean nesterov);

    void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay);

    void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                       float weightDecay);

    void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                    float weightDecay, int step);
}
