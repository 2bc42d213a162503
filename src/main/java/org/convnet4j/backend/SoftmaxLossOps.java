package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the softmax loss family (and argmax, and the per-batch tally): the {@link Backend} ops of the family on arguments
 * {@link AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface SoftmaxLossOps {
    void softmaxCrossEntropyForward(RowGeometry g, Tensor logits, Tensor labels, Tensor probs, Tensor loss);

    void softmaxCrossEntropyBackward(RowGeometry g, Tensor probs, Tensor labels, Tensor dlogits);

    void argmax(RowGeometry g, Tensor x, Tensor out);

    void tallyBatch(Tensor predictions, Tensor labels, int count, Tensor loss, Tensor tallies, int slot);
}
