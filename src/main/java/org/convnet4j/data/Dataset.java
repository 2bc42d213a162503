package org.convnet4j.data;

import java.util.Map;
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

    /**
     * What training epoch (1-based) reads: the items of this set as that epoch sees them, to be read in
     * order in batches of batch. The set itself unless it augments per epoch or reads ahead
     * ({@link ImageFolderDataset}).
     */
    default Dataset forEpoch(int epoch, int[] order, int batch) {
        return this;
    }

    /**
     * Whether {@link #forEpoch} gives other items than {@link #copyBatch} (augmentation, decoding ahead): such
     * a set is read batch by batch every epoch, never held whole on the device. False unless overridden.
     */
    default boolean variesPerEpoch() {
        return false;
    }

    /** What a run records about this set beyond its name (classes, transforms), for summary.json and checkpoints. */
    default Map<String, Object> describe() {
        return Map.of();
    }

    /** Floats per item (C * H * W). */
    default int itemSize() {
        return itemShape().size();
    }
}
