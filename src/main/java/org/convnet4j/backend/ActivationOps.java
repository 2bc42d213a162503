package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the activation family: the {@link Backend} ops of the family on arguments {@link
 * AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface ActivationOps {
    void activationForward(Activation f, Tensor x, Tensor y);

    void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx);
}
