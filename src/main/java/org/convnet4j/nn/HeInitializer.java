package org.convnet4j.nn;

import java.util.Random;

/** He (Kaiming) normal, fan-in mode, for ReLU networks: N(0, 2 / fanIn). */
public final class HeInitializer implements Initializer {

    @Override
    public void fill(float[] values, int fanIn, int fanOut, Random rng) {
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rng.nextGaussian() * std);
        }
    }

    @Override
    public String toString() {
        return "he";
    }
}
