package org.convnet4j.data;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.convnet4j.tensor.Shape;

/**
 * One training epoch of an {@link ImageFolderDataset}, read ahead: the epoch visits order in batches of
 * batch items (order.length / batch of them, the last partial batch dropped, as the trainer does), and
 * while the trainer reads batch k, batches k+1 .. k+depth are being decoded on the pool into buffers of
 * their own. A {@link #copyBatch} that asks for the next batch of the epoch waits for it and copies it
 * out; any other request is decoded on the spot. The floats are the same either way.
 */
final class ReadAhead implements Dataset {
    private final ImageFolderDataset base;
    private final int epoch;
    private final int[] order;
    private final int batch;
    private final int steps;
    private final float[][] images;
    private final int[][] labels;
    private final CompletableFuture<?>[] pending;
    private int next;

    ReadAhead(ImageFolderDataset base, int epoch, int[] order, int batch, int depth) {
        this.base = base;
        this.epoch = epoch;
        this.order = order;
        this.batch = batch;
        this.steps = order.length / batch;
        int slots = Math.min(depth, steps);
        this.images = new float[slots][];
        this.labels = new int[slots][];
        this.pending = new CompletableFuture<?>[slots];
        for (int k = 0; k < slots; k++) {
            images[k] = new float[batch * base.itemSize()];
            labels[k] = new int[batch];
            start(k);
        }
    }

    private void start(int step) {
        int slot = step % pending.length;
        pending[slot] = base.decode(epoch, order, step * batch, batch, images[slot], labels[slot]);
    }

    @Override
    public void copyBatch(int[] indices, int from, int count, float[] out, int[] outLabels) {
        if (indices != order || count != batch || from != next * batch || next >= steps) {
            ImageFolderDataset.join(base.decode(epoch, indices, from, count, out, outLabels));
            return;
        }
        int slot = next % pending.length;
        ImageFolderDataset.join(pending[slot]);
        System.arraycopy(images[slot], 0, out, 0, images[slot].length);
        System.arraycopy(labels[slot], 0, outLabels, 0, batch);
        if (next + pending.length < steps) {
            start(next + pending.length);
        }
        next++;
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public int size() {
        return base.size();
    }

    @Override
    public Shape itemShape() {
        return base.itemShape();
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public int label(int index) {
        return base.label(index);
    }

    @Override
    public Map<String, Object> describe() {
        return base.describe();
    }
}
