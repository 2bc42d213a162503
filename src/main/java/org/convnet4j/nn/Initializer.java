package org.convnet4j.nn;

import java.util.Random;

/**
 * Fills a weight tensor on the host from a {@link Random}, so that the same seed gives the same weights
 * on every backend; the layer uploads the values. Biases start at zero.
 *
 * <p>fanIn is the number of inputs one output sees (C*FH*FW for a convolution, K for a linear layer);
 * fanOut is the number of outputs one input feeds (FN*FH*FW, M).
 */
public interface Initializer {

    /** Fills values (the weights in their row-major order) from rng. */
    void fill(float[] values, int fanIn, int fanOut, Random rng);

    /** N(0, std^2): AlexNet's paper used std 0.01. */
    static Initializer gaussian(double std) {
        return new GaussianInitializer(std);
    }

    /** Glorot uniform: U(-a, a) with a = sqrt(6 / (fanIn + fanOut)). */
    static Initializer xavier() {
        return new XavierInitializer();
    }

    /** Kaiming normal for ReLU networks, fan-in mode: N(0, 2 / fanIn). The default of Conv2d and Linear. */
    static Initializer he() {
        return new HeInitializer();
    }
}
