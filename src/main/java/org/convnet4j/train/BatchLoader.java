package org.convnet4j.train;

import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;

/**
 * Batches copied from the host: each batch is read from the data set into host arrays and uploaded. The
 * upload returns before the device has copied it (the CUDA backend stages it in a pinned buffer of a ring
 * of two), so with the trainer's deferred reads the host reads and stages batch s+1 while the device still
 * runs step s; the copy itself is ordered on the backend's stream after step s, which reads the same tensors.
 */
final class BatchLoader extends BatchSource {
    private final Dataset data;
    private final int batch;
    private final float[] hostImages;
    private final int[] hostLabels;
    private Dataset items;
    private int[] order;

    /** Tensors for batches of batch items of data. */
    BatchLoader(Backend backend, Dataset data, int batch) {
        super(backend, data.itemShape(), batch);
        this.data = data;
        this.batch = batch;
        this.hostImages = new float[batch * data.itemSize()];
        this.hostLabels = new int[batch];
    }

    @Override
    void order(int epoch, int[] order) {
        this.items = epoch > 0 ? data.forEpoch(epoch, order, batch) : data;
        this.order = order;
    }

    @Override
    void load(int first) {
        items.copyBatch(order, first, batch, hostImages, hostLabels);
        backend.upload(hostImages, images());
        backend.upload(hostLabels, labels());
    }

    @Override
    String describe() {
        return data.name() + " from the host, batch by batch";
    }
}
