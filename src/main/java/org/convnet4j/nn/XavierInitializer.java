package org.convnet4j.nn;

import java.util.Random;

/** Glorot (Xavier) uniform: U(-a, a) with a = sqrt(6 / (fanIn + fanOut)). */
public final class XavierInitializer implements Initializer {

    @Override
    public void fill(float[] values, int fanIn, int fanOut, Random rng) {
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((rng.nextDouble() * 2 - 1) * a);
        }
    }

    @Override
    public String toString() {
        return "xavier";
    }
}
