package org.convnet4j.nn;

import java.util.Random;

/** Weights drawn from N(0, std^2), independent of the fans. */
public final class GaussianInitializer implements Initializer {
    private final double std;

    public GaussianInitializer(double std) {
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("Gaussian initializer: std must be finite and >= 0, got " + std);
        }
        this.std = std;
    }

    public double std() {
        return std;
    }

    @Override
    public void fill(float[] values, int fanIn, int fanOut, Random rng) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rng.nextGaussian() * std);
        }
    }

    @Override
    public String toString() {
        return "gaussian(" + std + ")";
    }
}
