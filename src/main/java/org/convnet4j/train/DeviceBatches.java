package org.convnet4j.train;

import java.util.Locale;

import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Batches gathered on the backend from a copy of the whole data set held there: the items [N, C, H, W]
 * (float32, exactly as {@link Dataset#copyBatch} gives them: MNIST normalized and padded as on the host
 * path) and labels INT32 [N] are uploaded once; each order (an epoch's permutation) is uploaded once; each
 * batch is two {@link Backend#gatherRows} launches and no host copy. On the CPU backend the "device" is the
 * Java heap, so the same code runs in the tests.
 *
 * <p>The upload reads the set into one host array first: its float32 bytes (180 MiB for MNIST) are
 * held on the heap while it is copied.
 */
final class DeviceBatches extends BatchSource {
    private final Dataset data;
    private final Tensor allImages;
    private final Tensor allLabels;
    private Tensor order;

    /**
     * Uploads data (every item) to backend, with batch tensors of batch items.
     *
     * @throws IllegalArgumentException a set of more than 2^31 - 1 floats (one host array)
     */
    DeviceBatches(Backend backend, Dataset data, int batch) {
        super(backend, inOneArray(data), batch);
        this.data = data;
        Shape item = data.itemShape();
        int n = data.size();
        float[] hostImages = new float[n * data.itemSize()];
        int[] hostLabels = new int[n];
        data.copyBatch(java.util.stream.IntStream.range(0, n).toArray(), 0, n, hostImages, hostLabels);
        Tensor x = null;
        Tensor y;
        try {
            x = backend.tensor(Shape.of(n, item.dim(0), item.dim(1), item.dim(2)), hostImages);
            y = backend.intTensor(Shape.of(n), hostLabels);
        } catch (RuntimeException e) { // out of device memory: nothing kept
            if (x != null) {
                x.close();
            }
            super.close();
            throw e;
        }
        this.allImages = x;
        this.allLabels = y;
    }

    /** data's item shape, once it is known that its items fit in one Java array. */
    private static Shape inOneArray(Dataset data) {
        long floats = (long) data.size() * data.itemSize();
        if (floats > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(data.name() + " holds " + floats + " floats, more than one upload of"
                    + " 2^31 - 1 carries; use --data-on-device off");
        }
        return data.itemShape();
    }

    /** Uploads order (one INT32 tensor, kept while the length stays the same). */
    @Override
    void order(int epoch, int[] newOrder) {
        if (order == null || order.size() != newOrder.length) {
            if (order != null) {
                order.close();
            }
            order = backend.allocate(Shape.of(newOrder.length), DataType.INT32);
        }
        backend.upload(newOrder, order);
    }

    @Override
    void load(int first) {
        backend.gatherRows(allImages, order, first, images());
        backend.gatherRows(allLabels, order, first, labels());
    }

    @Override
    String describe() {
        return String.format(Locale.ROOT, "%s held by the backend (%.1f MiB, uploaded once), batches gathered there",
                data.name(), DataPlacement.deviceBytes(data) / (double) (1 << 20));
    }

    @Override
    public void close() {
        allImages.close();
        allLabels.close();
        if (order != null) {
            order.close();
        }
        super.close();
    }
}
