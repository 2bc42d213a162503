package org.convnet4j.backend;

import org.convnet4j.tensor.Shape;

/**
 * The sizes of one 2-D convolution, checked: input x [n, c, h, w], weights [fn, c/groups, fh, fw], output
 * [n, fn, oh, ow] with oh and ow from {@link ConvSpec#outputShape}, groups from the spec. Its column matrix
 * (im2col of one image) is [ck, p] = [c*fh*fw, oh*ow]; with groups, group g's rows are the consecutive block
 * [g*filterSize, (g+1)*filterSize), the column matrix of its channel slice, and its product is
 * y_g [groupFilters, p] = W_g [groupFilters, filterSize] * col_g.
 */
public record ConvGeometry(int n, int c, int h, int w, int fn, int fh, int fw, int oh, int ow, ConvSpec spec) {

    /**
     * Checks x against the weights' shape with the spec's output-size formula (see
     * {@link ConvSpec#outputShape}) and returns the geometry.
     *
     * @param op names the op or layer in error messages
     */
    public static ConvGeometry of(String op, Shape x, Shape weights, ConvSpec spec) {
        Shape y = spec.outputShape(op, x, weights);
        return new ConvGeometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), weights.dim(0), weights.dim(2),
                weights.dim(3), y.dim(2), y.dim(3), spec);
    }

    /** The output shape [n, fn, oh, ow]. */
    public Shape outputShape() {
        return Shape.of(n, fn, oh, ow);
    }

    /** Rows of the column matrix: c*fh*fw (the length of one filter when groups is 1). */
    public int ck() {
        return c * fh * fw;
    }

    /** The spec's groups. */
    public int groups() {
        return spec.groups();
    }

    /** Input channels of one group: c/groups. */
    public int groupChannels() {
        return c / spec.groups();
    }

    /** Filters (output channels) of one group: fn/groups. */
    public int groupFilters() {
        return fn / spec.groups();
    }

    /** The length of one filter, the K of each group's GEMM: (c/groups)*fh*fw. */
    public int filterSize() {
        return groupChannels() * fh * fw;
    }

    /** Columns of the column matrix: oh*ow, the positions of one output plane. */
    public int p() {
        return oh * ow;
    }

    /** Elements of one input image: c*h*w. */
    public int imageSize() {
        return c * h * w;
    }
}
