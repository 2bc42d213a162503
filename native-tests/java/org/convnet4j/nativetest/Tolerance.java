package org.convnet4j.nativetest;

/**
 * How far a GPU result may be from the CPU's: element i passes when
 * |gpu[i] - cpu[i]| &lt;= rtol * |cpu[i]| + floor * max|cpu|, and neither is NaN (NaN never passes).
 * The floor, relative to the tensor's largest magnitude, absorbs cancellation (a sum of large terms that
 * comes out near zero carries the rounding of the large terms).
 *
 * @param rtol  relative to the element
 * @param floor relative to the largest |cpu| of the tensor
 * @param why   what bounds the difference, for the report
 */
public record Tolerance(double rtol, double floor, String why) {
    /** Same operations in the same order (copies, selections, a single add or multiply). */
    public static final Tolerance EXACT = new Tolerance(0, 0, "exact: the same float operations");
    /** A few float operations per element, possibly fused (FMA) on the GPU. */
    public static final Tolerance ELEMENTWISE = new Tolerance(1e-5, 1e-7, "a few roundings per element");
    /** exp, tanh, pow, sqrt, division: a few ulps of the GPU's math library plus elementwise rounding. */
    public static final Tolerance TRANSCENDENTAL = new Tolerance(1e-4, 1e-6, "GPU math library ulps");
    /** Sums over a batch or a plane in a different order (bias gradient, batch norm statistics). */
    public static final Tolerance REDUCTION = new Tolerance(1e-4, 1e-5, "sums in another order");
    /** GEMM-based (gemm, linear, convolution): dot products of up to a few thousand terms in another order. */
    public static final Tolerance GEMM = new Tolerance(1e-3, 1e-4, "dot products in another order");

    boolean passes(float cpu, float gpu, double maxAbs) {
        if (Float.isNaN(cpu) || Float.isNaN(gpu)) {
            return false;
        }
        if (cpu == gpu) {
            return true; // equal infinities too
        }
        return Math.abs((double) gpu - cpu) <= bound(cpu, maxAbs);
    }

    double bound(float cpu, double maxAbs) {
        return rtol * Math.abs(cpu) + floor * maxAbs;
    }

    @Override
    public String toString() {
        return "rtol " + rtol + " + " + floor + " * max|cpu| (" + why + ")";
    }
}
