package org.convnet4j.train;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.PendingDownload;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The outcome of every batch of an epoch (or of an evaluation), kept on the backend and read back without
 * stalling it: per batch s, its loss and how many of its items were classified correctly, in a table
 * FLOAT32 [S, 2] that {@link Backend#tallyBatch} fills after each step (after {@link Backend#argmax} of its
 * logits). {@link #read} starts copying the table to the host ({@link Backend#downloadLater}: a pinned
 * buffer and an event on the GPU) and hands over the copy it started the time before, so the host waits for
 * nothing but a copy that finished long ago. The host then sums the losses in batch order in double, as
 * the trainer always has, so the metrics keep their bits.
 */
final class BatchTally implements StepTally, AutoCloseable {
    private final Backend backend;
    private final Tensor predictions;
    private final Tensor table;
    private PendingDownload pending;
    private int pendingBatches;
    private float[] known = new float[0];
    private int knownBatches;

    /** A table of batches rows for batches of batch items. */
    BatchTally(Backend backend, int batches, int batch) {
        this.backend = backend;
        this.predictions = backend.allocate(Shape.of(batch), DataType.INT32);
        this.table = backend.allocate(Shape.of(batches, 2));
    }

    /** The batches the table has rows for. */
    int steps() {
        return table.shape().n();
    }

    /** The argmax of each row of logits [B, K] into the predictions the next {@link #record} counts. */
    void predict(Tensor logits) {
        backend.argmax(logits, predictions);
    }

    /**
     * Records batch slot: the first count predictions against labels INT32 [B], and loss [1] (null for an
     * evaluation, which has none).
     */
    void record(Tensor labels, int count, Tensor loss, int slot) {
        backend.tallyBatch(predictions, labels, count, loss, table, slot);
    }

    /**
     * Starts a read of the table, in which the first recorded batches are final, and returns how many
     * batches {@link #loss} and {@link #correct} can give now: those of the read started the time before (0
     * when there was none), whose copy is done or nearly; with wait, recorded, after waiting for this read.
     */
    @Override
    public int read(int recorded, boolean wait) {
        if (pending != null) {
            known = pending.get();
            knownBatches = pendingBatches;
        }
        pending = backend.downloadLater(table);
        pendingBatches = recorded;
        if (wait) {
            known = pending.get();
            knownBatches = recorded;
            pending = null;
        }
        return knownBatches;
    }

    /** Forgets what was read, for the next epoch (a read still pending is dropped). */
    @Override
    public void reset() {
        pending = null;
        knownBatches = 0;
    }

    /** Batch slot's loss, once read. */
    @Override
    public float loss(int slot) {
        return known[checkKnown(slot)];
    }

    /** Batch slot's correct predictions, once read. */
    @Override
    public int correct(int slot) {
        return (int) known[checkKnown(slot) + 1];
    }

    private int checkKnown(int slot) {
        if (slot < 0 || slot >= knownBatches) {
            throw new IllegalStateException("batch " + slot + " of the tally is not read yet (" + knownBatches
                    + " are)");
        }
        return 2 * slot;
    }

    @Override
    public void close() {
        predictions.close();
        table.close();
    }
}
