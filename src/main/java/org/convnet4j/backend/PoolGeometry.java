package org.convnet4j.backend;

import org.convnet4j.tensor.Shape;

/**
 * The sizes of one 2-D pooling, checked: input [n, c, h, w], output [n, c, oh, ow] with oh and ow from
 * {@link PoolSpec#outputShape}; each of the n*c planes is pooled on its own.
 */
public record PoolGeometry(int n, int c, int h, int w, int oh, int ow, PoolSpec spec) {

    /**
     * Checks x with the spec's output-size formula (see {@link PoolSpec#outputShape}) and returns the
     * geometry.
     *
     * @param op names the op or layer in error messages
     */
    public static PoolGeometry of(String op, Shape x, PoolSpec spec) {
        Shape y = spec.outputShape(op, x);
        return new PoolGeometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3), spec);
    }

    /** The output shape [n, c, oh, ow]. */
    public Shape outputShape() {
        return Shape.of(n, c, oh, ow);
    }

    /** Planes pooled: n*c. */
    public int planes() {
        return n * c;
    }
}
