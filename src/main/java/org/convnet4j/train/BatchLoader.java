package org.convnet4j.train;

import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The mini-batch tensors of a run, allocated once and reused by every step and every evaluation:
 * images [B, C, H, W], labels INT32 [B], predictions INT32 [B], and their host arrays.
 */
public final class BatchLoader implements AutoCloseable {
    private final Backend backend;
    private final int batch;
    private final float[] hostImages;
    private final int[] hostLabels;
    private final int[] hostPredictions;
    private final int[] padded;
    private final Tensor images;
    private final Tensor labels;
    private final Tensor predictions;

    /** Tensors for batches of batch items of shape itemShape [C, H, W]. */
    public BatchLoader(Backend backend, int batch, Shape itemShape) {
        this.backend = backend;
        this.batch = batch;
        Shape x = Shape.of(batch, itemShape.dim(0), itemShape.dim(1), itemShape.dim(2));
        this.hostImages = new float[x.size()];
        this.hostLabels = new int[batch];
        this.hostPredictions = new int[batch];
        this.padded = new int[batch];
        this.images = backend.allocate(x);
        this.labels = backend.allocate(Shape.of(batch), DataType.INT32);
        this.predictions = backend.allocate(Shape.of(batch), DataType.INT32);
    }

    public int batch() {
        return batch;
    }

    public Tensor images() {
        return images;
    }

    public Tensor labels() {
        return labels;
    }

    /** Uploads the batch of items order[from .. from+batch). */
    public void load(Dataset data, int[] order, int from) {
        data.copyBatch(order, from, batch, hostImages, hostLabels);
        backend.upload(hostImages, images);
        backend.upload(hostLabels, labels);
    }

    /**
     * Uploads items first .. first+count-1 (count &lt;= batch); the rest of the batch repeats item first, so
     * the tensors keep one shape. Only the first count results mean anything.
     */
    public void loadRange(Dataset data, int first, int count) {
        for (int i = 0; i < batch; i++) {
            padded[i] = i < count ? first + i : first;
        }
        load(data, padded, 0);
    }

    /**
     * Takes the argmax of logits [B, K] on the device, downloads it, and counts how many of the first count
     * items match the labels last loaded.
     */
    public int countCorrect(Tensor logits, int count) {
        backend.argmax(logits, predictions);
        backend.download(predictions, hostPredictions);
        int correct = 0;
        for (int i = 0; i < count; i++) {
            if (hostPredictions[i] == hostLabels[i]) {
                correct++;
            }
        }
        return correct;
    }

    @Override
    public void close() {
        images.close();
        labels.close();
        predictions.close();
    }
}
