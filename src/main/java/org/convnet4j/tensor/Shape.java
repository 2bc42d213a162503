package org.convnet4j.tensor;

import java.util.Arrays;

/**
 * The dimensions of a tensor, outermost first. Four-dimensional shapes are NCHW: batch, channels,
 * height, width. Immutable.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /** A shape with the given dimensions; each must be at least 1. */
    public static Shape of(int... dims) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension");
        }
        long size = 1;
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("every dimension must be >= 1, got " + Arrays.toString(dims));
            }
            size *= d;
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims)
                        + " has more than " + Integer.MAX_VALUE + " elements");
            }
        }
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public int size() {
        int s = 1;
        for (int d : dims) {
            s *= d;
        }
        return s;
    }

    /** Elements per item of the outermost dimension (size / dim(0)). */
    public int sizePerItem() {
        return size() / dims[0];
    }

    /** Batch size of an NCHW (or [N, features]) shape. */
    public int n() {
        return dims[0];
    }

    /** Channels of an NCHW shape. */
    public int c() {
        requireRank(4);
        return dims[1];
    }

    /** Height of an NCHW shape. */
    public int h() {
        requireRank(4);
        return dims[2];
    }

    /** Width of an NCHW shape. */
    public int w() {
        requireRank(4);
        return dims[3];
    }

    /** The same shape with the first dimension replaced. */
    public Shape withBatch(int n) {
        int[] d = dims.clone();
        d[0] = n;
        return Shape.of(d);
    }

    private void requireRank(int rank) {
        if (dims.length != rank) {
            throw new IllegalArgumentException("expected a rank-" + rank + " (NCHW) shape, got " + this);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
