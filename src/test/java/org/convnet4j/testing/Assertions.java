package org.convnet4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Array comparisons for tests, in the style of llm.c's validate: |expected - actual| &lt;= atol +
 * rtol * |expected| for every element, any NaN in either array fails, and the failure message names
 * the first mismatches (index, expected, actual; at most 10) and the largest difference.
 */
public final class Assertions {
    private static final int SHOWN = 10;

    private Assertions() {
    }

    /** Fails unless every actual[i] is within atol + rtol * |expected[i]| of expected[i] and no value is NaN. */
    public static void assertClose(float[] expected, float[] actual, double atol, double rtol, String label) {
        if (expected.length != actual.length) {
            fail(label + ": expected " + expected.length + " values, got " + actual.length);
        }
        StringBuilder shown = new StringBuilder();
        int bad = 0;
        double maxDiff = 0;
        int maxAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            double diff = Math.abs(e - a);
            boolean nan = Double.isNaN(e) || Double.isNaN(a);
            boolean ok = !nan && (diff <= atol + rtol * Math.abs(e) || e == a);
            if (!nan && diff > maxDiff) {
                maxDiff = diff;
                maxAt = i;
            }
            if (!ok) {
                if (bad < SHOWN) {
                    shown.append(String.format("%n  [%d] expected %s, actual %s (diff %.3g)", i, expected[i],
                            actual[i], diff));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(label + ": " + bad + " of " + expected.length + " values differ beyond atol " + atol + " + rtol "
                    + rtol + " * |expected|" + (maxAt >= 0 ? " (max diff " + maxDiff + " at " + maxAt + ")" : "")
                    + "; first ones:" + shown);
        }
    }

    /** The same for double expectations (computed by a reference in double). */
    public static void assertClose(double[] expected, float[] actual, double atol, double rtol, String label) {
        float[] e = new float[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) expected[i];
        }
        assertClose(e, actual, atol, rtol, label);
    }

    /** Fails unless the arrays are equal bit for bit (NaN payloads included). */
    public static void assertBitIdentical(float[] expected, float[] actual, String label) {
        if (expected.length != actual.length) {
            fail(label + ": expected " + expected.length + " values, got " + actual.length);
        }
        StringBuilder shown = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                if (bad < SHOWN) {
                    shown.append(String.format("%n  [%d] %s vs %s", i, expected[i], actual[i]));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(label + ": " + bad + " of " + expected.length + " values are not bit-identical; first ones:" + shown);
        }
    }

    /** Fails if any value is NaN or infinite. */
    public static void assertFinite(float[] values, String label) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                fail(label + ": value " + i + " is " + values[i]);
            }
        }
    }
}
