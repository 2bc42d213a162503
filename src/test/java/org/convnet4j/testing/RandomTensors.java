package org.convnet4j.testing;

import java.util.SplittableRandom;

/** Seeded random arrays for tests: the same seed gives the same values on every machine. */
public final class RandomTensors {
    private RandomTensors() {
    }

    /** size values uniform in [lo, hi). */
    public static float[] uniform(long seed, int size, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    /** size values uniform in [-1, 1). */
    public static float[] uniform(long seed, int size) {
        return uniform(seed, size, -1f, 1f);
    }

    /** size values from a normal distribution with the given mean and standard deviation. */
    public static float[] normal(long seed, int size, float mean, float std) {
        java.util.Random r = new java.util.Random(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (mean + std * r.nextGaussian());
        }
        return a;
    }

    /** size integers uniform in [0, bound). */
    public static int[] ints(long seed, int size, int bound) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] a = new int[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextInt(bound);
        }
        return a;
    }

    /** size distinct values (a shuffled arithmetic progression), so a maximum is never tied. */
    public static float[] distinct(long seed, int size) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (i - size / 2) * 0.01f;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
