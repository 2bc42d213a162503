package org.convnet4j.backend;

/**
 * The sizes of a checked row-major GEMM c = alpha * op(a) * op(b) + beta * c: op(a) is [m, k], op(b) is
 * [k, n], c is [m, n] with row stride n; lda and ldb are the row strides of a and b as stored (their
 * second dimension, whether transposed or not).
 */
public record GemmGeometry(int m, int n, int k, int lda, int ldb) {
}
