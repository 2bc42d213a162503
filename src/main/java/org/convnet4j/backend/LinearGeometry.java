package org.convnet4j.backend;

/**
 * The sizes of a checked fully connected layer: x is n items of k features, w is [m, k], y is [n, m].
 */
public record LinearGeometry(int n, int k, int m) {
}
