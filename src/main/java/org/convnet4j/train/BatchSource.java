package org.convnet4j.train;

import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Where the batches of a run come from: it fills two tensors that every step reads, images [B, C, H, W] and
 * labels INT32 [B], with the items of an order, batch after batch. {@link BatchLoader} copies them from the
 * host; {@link DeviceBatches} gathers them from a copy of the whole set held by the backend. Both give the
 * same bits for the same order.
 */
abstract class BatchSource implements AutoCloseable {
    protected final Backend backend;
    private final Tensor images;
    private final Tensor labels;

    /** The batch tensors, for batch items of itemShape [C, H, W]. */
    BatchSource(Backend backend, Shape itemShape, int batch) {
        this.backend = backend;
        this.images = backend.allocate(Shape.of(batch, itemShape.dim(0), itemShape.dim(1), itemShape.dim(2)));
        this.labels = backend.allocate(Shape.of(batch), DataType.INT32);
    }

    /** The batch's images [B, C, H, W], refilled by {@link #load}. */
    final Tensor images() {
        return images;
    }

    /** The batch's labels INT32 [B], refilled by {@link #load}. */
    final Tensor labels() {
        return labels;
    }

    /**
     * The order the next batches are read in: item numbers, an epoch's permutation (epoch &gt;= 1, the items
     * as that epoch sees them, augmented where the set augments) or an evaluation's order (epoch 0: the
     * items as they are).
     */
    abstract void order(int epoch, int[] order);

    /** Fills {@link #images} and {@link #labels} with the items order[first .. first + B). */
    abstract void load(int first);

    /** For the trainer's start message: where the items are and how a batch is built. */
    abstract String describe();

    /** Closes the batch tensors (a subclass closes its own, then calls this). */
    @Override
    public void close() {
        images.close();
        labels.close();
    }

    /**
     * The order an evaluation reads n items in, batch after batch: 0 .. n-1, the last partial batch padded
     * with its own first item, so every batch has the same shape. Only the first n results mean anything.
     */
    static int[] evaluationOrder(int n, int batch) {
        int batches = (n + batch - 1) / batch;
        int[] order = new int[batches * batch];
        int lastFirst = (batches - 1) * batch;
        for (int i = 0; i < order.length; i++) {
            order[i] = i < n ? i : lastFirst;
        }
        return order;
    }
}
