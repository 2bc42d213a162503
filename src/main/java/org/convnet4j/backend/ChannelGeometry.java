package org.convnet4j.backend;

import org.convnet4j.tensor.Shape;

/**
 * A checked tensor of rank &gt;= 2 seen as n items of {@code channels} planes of {@code inner} values each
 * (inner = H*W for NCHW, 1 for [N, C]): the layout of bias, batch normalization and LRN ops, element
 * (i, c, j) at (i*channels + c)*inner + j.
 */
public record ChannelGeometry(int n, int channels, int inner) {

    /** The geometry of a shape of rank &gt;= 2: channels is dimension 1. */
    public static ChannelGeometry of(Shape s) {
        return new ChannelGeometry(s.n(), s.dim(1), s.size() / (s.n() * s.dim(1)));
    }
}
