package org.convnet4j.backend;

import org.convnet4j.tensor.Tensor;

/**
 * What a backend computes for the memory family (host transfers, the deferred download, fill, copy, gather): the {@link Backend} ops of the family on
 * arguments {@link AbstractBackend} has already checked, with the geometry the check returned where there is one.
 */
public interface MemoryOps {
    void upload(float[] src, Tensor dst);

    void upload(int[] src, Tensor dst);

    void download(Tensor src, float[] dst);

    void download(Tensor src, int[] dst);

    PendingDownload downloadLater(Tensor src);

    void fill(Tensor t, float value);

    void copy(Tensor src, Tensor dst);

    void gatherRows(Tensor src, Tensor order, int first, Tensor dst);
}
