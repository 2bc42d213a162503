package org.convnet4j.train;

import org.convnet4j.tensor.Tensor;

/**
 * Where the batches of a run come from: it fills two tensors that every step reads, images [B, C, H, W] and
 * labels INT32 [B], with the items of an order, batch after batch. {@link BatchLoader} copies them from the
 * host; {@link DeviceBatches} gathers them from a copy of the whole set held by the backend. Both give the
 * same bits for the same order.
 */
interface BatchSource extends AutoCloseable {
    /** The batch's images [B, C, H, W], refilled by {@link #load}. */
    Tensor images();

    /** The batch's labels INT32 [B], refilled by {@link #load}. */
    Tensor labels();

    /**
     * The order the next batches are read in: item numbers, an epoch's permutation (epoch &gt;= 1, the items
     * as that epoch sees them, augmented where the set augments) or an evaluation's order (epoch 0: the
     * items as they are).
     */
    void order(int epoch, int[] order);

    /** Fills {@link #images} and {@link #labels} with the items order[first .. first + B). */
    void load(int first);

    /** For the trainer's start message: where the items are and how a batch is built. */
    String describe();

    @Override
    void close();

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
