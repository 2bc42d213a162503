package org.convnet4j.data;

import org.convnet4j.tensor.Shape;

/**
 * A fixed, indexable set of labelled items held in host memory. Items are float32 in NCHW order with
 * the per-item shape {@link #itemShape()} ([C, H, W]); labels are ints in [0, numClasses).
 */
public interface Dataset {

    /** A short name for people ("mnist-train", "synthetic"). */
    String name();

    /** Number of items. */
    int size();

    /** Shape of one item, [C, H, W]. */
    Shape itemShape();

    /** Number of classes; every label lies in [0, numClasses). */
    int numClasses();

    /** The label of item index. */
    int label(int index);

    /**
     * Copies count items, the ones named by indices[from .. from+count), into images (count * itemSize
     * floats, item after item) and labels (count ints). Reads only; safe to call from several threads.
     */
    void copyBatch(int[] indices, int from, int count, float[] images, int[] labels);

    /** Floats per item (C * H * W). */
    default int itemSize() {
        return itemShape().size();
    }
}
