package org.convnet4j.data;

import org.convnet4j.tensor.Shape;

/** Items [from, from + count) of another data set, renumbered from 0. */
public record DatasetSlice(String name, Dataset base, int from, int count) implements Dataset {
    public DatasetSlice {
        if (from < 0 || count < 1 || from + count > base.size()) {
            throw new IllegalArgumentException("slice [" + from + ", " + (from + count) + ") of " + base.name()
                    + " outside [0, " + base.size() + ")");
        }
    }

    @Override
    public int size() {
        return count;
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
        return base.label(from + index);
    }

    @Override
    public void copyBatch(int[] indices, int start, int n, float[] images, int[] labels) {
        int[] shifted = new int[n];
        for (int i = 0; i < n; i++) {
            shifted[i] = from + indices[start + i];
        }
        base.copyBatch(shifted, 0, n, images, labels);
    }
}
