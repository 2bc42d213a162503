package org.convnet4j.backend;

/**
 * The dropout mask both backends compute, bit for bit, so that CPU and GPU runs from one seed agree.
 * Element i of a call with seed s keeps its value (scaled by 1/(1-p)) when uniform(s, i) &gt;= p, where
 * uniform is splitmix64 of s + (i+1)*0x9E3779B97F4A7C15, top 24 bits, times 2^-24. kernels/dropout.cu
 * implements the same function.
 */
public final class DropoutMask {
    private DropoutMask() {
    }

    /** A uniform number in [0, 1) that depends only on seed and index. */
    public static float uniform(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 40) * 0x1.0p-24f;
    }

    /** The mask value of element index: 0 (dropped) or 1/(1-p) (kept). */
    public static float value(long seed, long index, float p) {
        return uniform(seed, index) >= p ? 1f / (1f - p) : 0f;
    }
}
