package org.convnet4j.data;

import java.util.SplittableRandom;
import org.convnet4j.tensor.Shape;

/**
 * Random labelled images of any shape, from a seed, for benchmarks and tests. Each class c has a fixed
 * random template T_c (uniform in [-1, 1]); item i has label L_i, uniform in [0, numClasses), and pixels
 * x = signal * T_{L_i} + noise, noise uniform in [-1, 1]. With signal &gt; 0 the classes can be learned,
 * so a smoke test sees accuracy rise; with signal 0 the data are pure noise.
 *
 * <p>Items are generated on demand from (seed, index), so the set costs memory only for the templates
 * and the same (seed, index) always gives the same item.
 */
public final class SyntheticDataset implements Dataset {
    private final String name;
    private final int size;
    private final Shape itemShape;
    private final int numClasses;
    private final long seed;
    private final float signal;
    private final float[] templates;
    private final int[] labels;

    public SyntheticDataset(String name, int size, Shape itemShape, int numClasses, long seed, float signal) {
        if (size < 1) {
            throw new IllegalArgumentException("synthetic data set: size must be >= 1, got " + size);
        }
        if (itemShape.rank() != 3) {
            throw new IllegalArgumentException("synthetic data set: item shape must be [C, H, W], got " + itemShape);
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("synthetic data set: numClasses must be >= 2, got " + numClasses);
        }
        this.name = name;
        this.size = size;
        this.itemShape = itemShape;
        this.numClasses = numClasses;
        this.seed = seed;
        this.signal = signal;
        int itemSize = itemShape.size();
        SplittableRandom rng = new SplittableRandom(seed);
        this.templates = new float[numClasses * itemSize];
        for (int i = 0; i < templates.length; i++) {
            templates[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        this.labels = new int[size];
        for (int i = 0; i < size; i++) {
            labels[i] = rng.nextInt(numClasses);
        }
    }

    /** A learnable set (signal 1) named "synthetic". */
    public static SyntheticDataset learnable(int size, Shape itemShape, int numClasses, long seed) {
        return new SyntheticDataset("synthetic", size, itemShape, numClasses, seed, 1f);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Shape itemShape() {
        return itemShape;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void copyBatch(int[] indices, int from, int n, float[] out, int[] outLabels) {
        int itemSize = itemShape.size();
        for (int b = 0; b < n; b++) {
            int idx = indices[from + b];
            if (idx < 0 || idx >= size) {
                throw new IndexOutOfBoundsException(name + ": item " + idx + " outside [0, " + size + ")");
            }
            int label = labels[idx];
            SplittableRandom noise = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + idx + 1);
            int t = label * itemSize;
            int d = b * itemSize;
            for (int k = 0; k < itemSize; k++) {
                out[d + k] = signal * templates[t + k] + (float) (noise.nextDouble() * 2 - 1);
            }
            outLabels[b] = label;
        }
    }
}
