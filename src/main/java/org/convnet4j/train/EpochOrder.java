package org.convnet4j.train;

import java.util.SplittableRandom;

/**
 * The order in which an epoch visits the training items: a Fisher-Yates shuffle of 0..n-1 driven by a
 * generator seeded from (seed, epoch) only. Epoch e of a resumed run therefore visits the items in the
 * same order as epoch e of an uninterrupted one.
 */
public final class EpochOrder {
    private EpochOrder() {
    }

    /** A permutation of 0..n-1 for epoch (1-based) of a run with seed. */
    public static int[] permutation(long seed, int epoch, int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(mix(seed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Combines seed and epoch into one well-spread 64-bit seed (SplitMix64 finalizer). */
    static long mix(long seed, int epoch) {
        long z = seed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
