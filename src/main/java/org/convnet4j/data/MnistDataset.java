package org.convnet4j.data;

import java.nio.file.Path;
import org.convnet4j.tensor.Shape;

/**
 * MNIST images and labels in host memory, as bytes; items are made float on the way out. Each pixel p
 * in 0..255 becomes (p / 255 - {@link #MEAN}) / {@link #STD}: scaled to [0, 1], then normalized by the
 * training set's mean and standard deviation (the usual PyTorch recipe), so inputs are roughly zero-mean
 * and unit-variance; background pixels become -0.4242.
 *
 * <p>Items have shape [1, H, W] with H, W &gt;= 28: when a model wants larger inputs (LeNet-5's original
 * 32x32) the 28x28 digit is centred and the border filled with the normalized background value.
 */
public final class MnistDataset implements Dataset {
    /** Mean pixel of the MNIST training set, after scaling to [0, 1]. */
    public static final float MEAN = 0.1307f;
    /** Standard deviation of the MNIST training set's pixels, after scaling to [0, 1]. */
    public static final float STD = 0.3081f;

    private static final float[] LUT = new float[256];

    static {
        for (int p = 0; p < 256; p++) {
            LUT[p] = (p / 255f - MEAN) / STD;
        }
    }

    private final String name;
    private final IdxImages images;
    private final byte[] labels;
    private final int count;
    private final Shape itemShape;

    /**
     * A data set over images and labels (their counts must agree); count may be smaller, to use a prefix.
     */
    public MnistDataset(String name, IdxImages images, byte[] labels, Path labelsFile, int count, Shape itemShape) {
        if (images.count() != labels.length) {
            throw new DataFormatException("MNIST image and label counts disagree: " + images.source() + " holds "
                    + images.count() + " images but " + labelsFile + " holds " + labels.length + " labels."
                    + " Are they from the same set (train vs t10k)?");
        }
        if (count < 1 || count > images.count()) {
            throw new IllegalArgumentException(name + ": item count " + count + " must lie in [1, "
                    + images.count() + "]");
        }
        if (itemShape.rank() != 3 || itemShape.dim(0) != 1 || itemShape.dim(1) < images.rows()
                || itemShape.dim(2) < images.cols()) {
            throw new IllegalArgumentException(name + ": MNIST items are [1, " + images.rows() + ", " + images.cols()
                    + "] (or larger with padding); cannot produce items of shape " + itemShape);
        }
        this.name = name;
        this.images = images;
        this.labels = labels;
        this.count = count;
        this.itemShape = itemShape;
    }

    /** The training set (60,000 images) from dir, limited to its first limit items when limit &gt; 0. */
    public static MnistDataset train(Path dir, int limit, Shape itemShape) {
        return load(dir, MnistFiles.TRAIN_IMAGES, MnistFiles.TRAIN_LABELS, "mnist-train", limit, itemShape);
    }

    /** The test set (10,000 images) from dir. */
    public static MnistDataset test(Path dir, Shape itemShape) {
        return load(dir, MnistFiles.TEST_IMAGES, MnistFiles.TEST_LABELS, "mnist-test", 0, itemShape);
    }

    private static MnistDataset load(Path dir, MnistFiles imagesFile, MnistFiles labelsFile, String name,
                                     int limit, Shape itemShape) {
        if (imagesFile.find(dir) == null || labelsFile.find(dir) == null) {
            throw MnistFiles.missing(dir);
        }
        Path labelsPath = labelsFile.require(dir);
        IdxImages images = IdxReader.readImages(imagesFile.require(dir));
        byte[] labels = IdxReader.readLabels(labelsPath);
        int n = limit > 0 ? Math.min(limit, images.count()) : images.count();
        return new MnistDataset(name, images, labels, labelsPath, n, itemShape);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public Shape itemShape() {
        return itemShape;
    }

    @Override
    public int numClasses() {
        return IdxReader.MNIST_CLASSES;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void copyBatch(int[] indices, int from, int n, float[] out, int[] outLabels) {
        int h = itemShape.dim(1);
        int w = itemShape.dim(2);
        int rows = images.rows();
        int cols = images.cols();
        int top = (h - rows) / 2;
        int left = (w - cols) / 2;
        int itemSize = h * w;
        byte[] data = images.data();
        boolean padded = h != rows || w != cols;
        for (int b = 0; b < n; b++) {
            int idx = indices[from + b];
            if (idx < 0 || idx >= count) {
                throw new IndexOutOfBoundsException(name + ": item " + idx + " outside [0, " + count + ")");
            }
            int dst = b * itemSize;
            if (padded) {
                java.util.Arrays.fill(out, dst, dst + itemSize, LUT[0]);
            }
            int src = images.offset() + idx * rows * cols;
            for (int r = 0; r < rows; r++) {
                int d = dst + (r + top) * w + left;
                int s = src + r * cols;
                for (int c = 0; c < cols; c++) {
                    out[d + c] = LUT[data[s + c] & 0xFF];
                }
            }
            outLabels[b] = labels[idx];
        }
    }
}
