package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertBitIdentical;
import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** CpuGemm's own SGEMM against a triple loop in double, for every transpose, odd sizes, offsets and leading dimensions. */
class CpuGemmTest {

    /** m, n, k: sizes below, at and across the KC = 256 and NC = 512 block edges, and degenerate ones. */
    static Stream<Arguments> sizes() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] mnk = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 513, 300}, {5, 600, 257}, {130, 7, 1030}, {1, 700, 3}};
        for (int[] s : mnk) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    b.add(Arguments.of(s[0], s[1], s[2], ta, tb));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @MethodSource("sizes")
    void matchesTripleLoop(int m, int n, int k, boolean transA, boolean transB) {
        // Offsets and leading dimensions larger than the rows, as a BLAS caller may pass.
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        int lda = aCols + 3;
        int ldb = bCols + 1;
        int ldc = n + 2;
        int aOff = 5;
        int bOff = 2;
        int cOff = 7;
        long seed = m * 1000L + n * 10L + k + (transA ? 1 : 0) + (transB ? 2 : 0);
        float[] a = RandomTensors.uniform(seed, aOff + aRows * lda);
        float[] b = RandomTensors.uniform(seed + 1, bOff + bRows * ldb);
        float[] c0 = RandomTensors.uniform(seed + 2, cOff + m * ldc);
        float alpha = 0.75f;
        float beta = -0.5f;
        float[] expected = c0.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                expected[cOff + i * ldc + j] = (float) (alpha * s + beta * c0[cOff + i * ldc + j]);
            }
        }
        float[] one = c0.clone();
        float[] two = c0.clone();
        // The own SGEMM, the oracle (CpuBlasGemmTest checks the native BLAS against it).
        try (CpuGemm g1 = new CpuGemm(1, CpuGemm.Implementation.JAVA); CpuGemm g2 = new CpuGemm(2, CpuGemm.Implementation.JAVA)) {
            g1.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, one, cOff, ldc);
            g2.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, two, cOff, ldc);
        }
        // Tolerance grows with k: float sums of k products of values in [-1, 1).
        assertClose(expected, one, 1e-6 * k + 1e-6, 1e-5, "gemm 1 thread");
        assertBitIdentical(one, two, "gemm 1 vs 2 threads");
    }

    @Test
    void betaZeroOverwritesNaN() {
        float[] a = {1, 2, 3, 4};
        float[] b = {1, 0, 0, 1};
        float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        try (CpuGemm g = new CpuGemm(2)) {
            g.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
        }
        assertClose(new float[] {1, 2, 3, 4}, c, 0, 0, "beta 0");
    }

    @Test
    void rejectsArraysTooSmall() {
        try (CpuGemm g = new CpuGemm(1)) {
            assertThrows(IllegalArgumentException.class,
                    () -> g.gemm(false, false, 2, 2, 2, 1f, new float[3], 0, 2, new float[4], 0, 2, 0f, new float[4], 0, 2));
        }
    }
}
