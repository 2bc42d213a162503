package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the dropout family: the {@link Backend} ops of the family on arguments {@link
 * AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface DropoutOps {
    void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y);

    void dropoutBackward(Tensor dy, Tensor mask, Tensor dx);
}
