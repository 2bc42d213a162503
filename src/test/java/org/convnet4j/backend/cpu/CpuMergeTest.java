package org.convnet4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** The merge family: the residual sum and the channel copy of a concatenation, against index loops written here. */
class CpuMergeTest extends CpuFamilyTest {

    @Test
    void addSumsElementWiseAlsoInPlace() {
        Shape s = Shape.of(3, 5, 70, 70); // large enough to run on both threads
        float[] a = RandomTensors.uniform(1, s.size());
        float[] b = RandomTensors.uniform(2, s.size());
        a[7] = Float.NaN;
        float[] want = new float[s.size()];
        for (int i = 0; i < want.length; i++) {
            want[i] = a[i] + b[i];
        }
        try (Tensor ta = cpu.tensor(s, a); Tensor tb = cpu.tensor(s, b); Tensor ty = cpu.allocate(s)) {
            cpu.add(ta, tb, ty);
            assertArrayEquals(want, cpu.toFloatArray(ty));
            cpu.add(ta, tb, tb); // y may be b
            assertArrayEquals(want, cpu.toFloatArray(tb));
        }
    }

    /** Two branches concatenated into the middle of a wider tensor, its other channels untouched, then split back. */
    @Test
    void copyChannelsConcatenatesAndSplits() {
        int n = 2;
        int h = 3;
        int w = 2;
        Shape sa = Shape.of(n, 2, h, w);
        Shape sb = Shape.of(n, 3, h, w);
        Shape sy = Shape.of(n, 6, h, w);
        float[] a = RandomTensors.uniform(3, sa.size());
        float[] b = RandomTensors.uniform(4, sb.size());
        int inner = h * w;
        float[] want = new float[sy.size()];
        java.util.Arrays.fill(want, -1f);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 6; c++) {
                for (int j = 0; j < inner; j++) {
                    float v = c >= 1 && c < 3 ? a[(i * 2 + c - 1) * inner + j]
                            : c >= 3 && c < 6 ? b[(i * 3 + c - 3) * inner + j] : -1f;
                    want[(i * 6 + c) * inner + j] = v;
                }
            }
        }
        try (Tensor ta = cpu.tensor(sa, a); Tensor tb = cpu.tensor(sb, b); Tensor ty = cpu.allocate(sy);
             Tensor backA = cpu.allocate(sa); Tensor backB = cpu.allocate(sb)) {
            cpu.fill(ty, -1f);
            cpu.copyChannels(ta, 0, ty, 1, 2);
            cpu.copyChannels(tb, 0, ty, 3, 3);
            assertArrayEquals(want, cpu.toFloatArray(ty));
            cpu.copyChannels(ty, 1, backA, 0, 2);
            cpu.copyChannels(ty, 3, backB, 0, 3);
            assertArrayEquals(a, cpu.toFloatArray(backA));
            assertArrayEquals(b, cpu.toFloatArray(backB));
            cpu.copyChannels(tb, 1, backA, 1, 1); // a middle channel of one into another
            float[] got = cpu.toFloatArray(backA);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < inner; j++) {
                    assertEquals(a[(i * 2) * inner + j], got[(i * 2) * inner + j]);
                    assertEquals(b[(i * 3 + 1) * inner + j], got[(i * 2 + 1) * inner + j]);
                }
            }
        }
    }
}
