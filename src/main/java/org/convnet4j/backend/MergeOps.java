package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the merge family (add, channel copy): the {@link Backend} ops of the family on arguments
 * {@link AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface MergeOps {
    void add(Tensor a, Tensor b, Tensor y);

    void copyChannels(ChannelCopyGeometry g, Tensor src, Tensor dst);
}
