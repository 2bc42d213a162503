package org.convnet4j.train;

import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Batches copied from the host: each batch is read from the data set into host arrays and uploaded. The
 * upload returns before the device has copied it (the CUDA backend stages it in a pinned buffer of a ring
 * of two), so with the trainer's deferred reads the host reads and stages batch s+1 while the device still
 * runs step s; the copy itself is ordered on the backend's stream after step s, which reads the same tensors.
 */
final class BatchLoader implements BatchSource {
    private final Backend backend;
    private final Dataset data;
    private final int batch;
    private final float[] hostImages;
    private final int[] hostLabels;
    private final Tensor images;
    private final Tensor labels;
    private Dataset items;
    private int[] order;

    /** Tensors for batches of batch items of data. */
    BatchLoader(Backend backend, Dataset data, int batch) {
        this.backend = backend;
        this.data = data;
        this.batch = batch;
        Shape item = data.itemShape();
        Shape x = Shape.of(batch, item.dim(0), item.dim(1), item.dim(2));
        this.hostImages = new float[x.size()];
        this.hostLabels = new int[batch];
        this.images = backend.allocate(x);
        this.labels = backend.allocate(Shape.of(batch), DataType.INT32);
    }

    @Override
    public Tensor images() {
        return images;
    }

    @Override
    public Tensor labels() {
        return labels;
    }

    @Override
    public void order(int epoch, int[] order) {
        this.items = epoch > 0 ? data.forEpoch(epoch, order, batch) : data;
        this.order = order;
    }

    @Override
    public void load(int first) {
        items.copyBatch(order, first, batch, hostImages, hostLabels);
        backend.upload(hostImages, images);
        backend.upload(hostLabels, labels);
    }

    @Override
    public String describe() {
        return data.name() + " from the host, batch by batch";
    }

    @Override
    public void close() {
        images.close();
        labels.close();
    }
}
