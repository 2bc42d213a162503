package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.backend.DropoutMask;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Inverted dropout: the mask against {@link DropoutMask}, y = x * mask, dx = dy * mask. */
class CpuDropoutTest extends CpuFamilyTest {
    @Test
    void dropoutMaskFollowsDropoutMaskAndScales() {
        Shape s = Shape.of(8, 16, 16, 16);
        int size = s.size();
        float p = 0.3f;
        long seed = 1234;
        float[] x = RandomTensors.uniform(50, size, 0.5f, 1.5f);
        float[] dy = RandomTensors.uniform(51, size);
        try (Tensor tx = cpu.tensor(s, x); Tensor tm = cpu.allocate(s); Tensor ty = cpu.allocate(s);
             Tensor tdy = cpu.tensor(s, dy); Tensor tdx = cpu.allocate(s)) {
            cpu.dropoutForward(tx, p, seed, tm, ty);
            float[] mask = cpu.toFloatArray(tm);
            float[] y = cpu.toFloatArray(ty);
            float keep = 1f / (1f - p);
            int kept = 0;
            double sumX = 0;
            double sumY = 0;
            for (int i = 0; i < size; i++) {
                assertEquals(DropoutMask.value(seed, i, p), mask[i], "mask " + i);
                assertTrue(mask[i] == 0f || mask[i] == keep, "mask values are 0 or 1/(1-p)");
                assertEquals(x[i] * mask[i], y[i], "y = x * mask at " + i);
                kept += mask[i] != 0f ? 1 : 0;
                sumX += x[i];
                sumY += y[i];
            }
            // Kept fraction within 5 standard deviations of 1 - p; inverted scaling keeps the mean.
            double sigma = Math.sqrt(size * p * (1 - p));
            assertEquals(size * (1 - p), kept, 5 * sigma, "kept count");
            assertEquals(sumX / size, sumY / size, 0.01, "mean is preserved by the 1/(1-p) scaling");

            cpu.dropoutBackward(tdy, tm, tdx);
            float[] dx = cpu.toFloatArray(tdx);
            for (int i = 0; i < size; i++) {
                assertEquals(dy[i] * mask[i], dx[i], "dx = dy * mask at " + i);
            }

            // Another seed gives another mask; the same seed the same mask.
            try (Tensor tm2 = cpu.allocate(s); Tensor ty2 = cpu.allocate(s)) {
                cpu.dropoutForward(tx, p, seed + 1, tm2, ty2);
                assertNotEquals(java.util.Arrays.hashCode(mask), java.util.Arrays.hashCode(cpu.toFloatArray(tm2)));
                cpu.dropoutForward(tx, p, seed, tm2, ty2);
                assertClose(mask, cpu.toFloatArray(tm2), 0, 0, "same seed, same mask");
            }
        }
    }

    /** p = 0 (what evaluation amounts to) keeps everything: mask 1, y = x. p outside [0, 1) is rejected. */
    @Test
    void dropoutWithZeroProbabilityIsIdentity() {
        Shape s = Shape.of(3, 5);
        float[] x = RandomTensors.uniform(52, s.size());
        try (Tensor tx = cpu.tensor(s, x); Tensor tm = cpu.allocate(s); Tensor ty = cpu.allocate(s)) {
            cpu.dropoutForward(tx, 0f, 9, tm, ty);
            assertClose(x, cpu.toFloatArray(ty), 0, 0, "p = 0");
            float[] ones = new float[s.size()];
            java.util.Arrays.fill(ones, 1f);
            assertClose(ones, cpu.toFloatArray(tm), 0, 0, "p = 0 mask");
            assertThrows(IllegalArgumentException.class, () -> cpu.dropoutForward(tx, 1f, 9, tm, ty));
            assertThrows(IllegalArgumentException.class, () -> cpu.dropoutForward(tx, -0.1f, 9, tm, ty));
        }
    }
}
