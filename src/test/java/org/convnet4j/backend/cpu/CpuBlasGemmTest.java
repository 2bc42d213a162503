package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertBitIdentical;
import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.convnet4j.backend.cpu.CpuGemm.Implementation;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The native BLAS path of CpuGemm against the own SGEMM (the oracle, itself checked against a triple loop
 * by CpuGemmTest): every transpose, offsets, leading dimensions, sub-blocks as CpuBackend passes them,
 * and bit-identical results for a fixed thread count. Skipped where no optimized BLAS loads.
 */
class CpuBlasGemmTest {

    private static void needsBlas() {
        assumeTrue(CpuBlas.blas() != null, () -> "no native BLAS: " + CpuBlas.unavailableReason());
    }

    /** Random operands of one product, with offsets and leading dimensions larger than the rows. */
    private record Operands(int m, int n, int k, boolean transA, boolean transB, float[] a, int aOff, int lda,
                            float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        static Operands of(int m, int n, int k, boolean transA, boolean transB) {
            int lda = (transA ? m : k) + 3;
            int ldb = (transB ? k : n) + 1;
            int ldc = n + 2;
            long seed = m * 1000L + n * 10L + k + (transA ? 1 : 0) + (transB ? 2 : 0);
            return new Operands(m, n, k, transA, transB,
                    RandomTensors.uniform(seed, 5 + (transA ? k : m) * lda), 5, lda,
                    RandomTensors.uniform(seed + 1, 2 + (transB ? n : k) * ldb), 2, ldb,
                    RandomTensors.uniform(seed + 2, 7 + m * ldc), 7, ldc);
        }

        float[] gemm(CpuGemm g, float alpha, float beta) {
            float[] out = c.clone();
            g.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
            return out;
        }

        float[] gemmBlock(CpuGemm g, int i0, int i1, int j0, int j1, float beta) {
            float[] out = c.clone();
            g.gemmBlock(0, transA, transB, i0, i1, j0, j1, k, 1f, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
            return out;
        }
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @MethodSource("org.convnet4j.backend.cpu.CpuGemmTest#sizes")
    void matchesOwnSgemm(int m, int n, int k, boolean transA, boolean transB) {
        needsBlas();
        Operands o = Operands.of(m, n, k, transA, transB);
        try (CpuGemm blas = new CpuGemm(2, Implementation.BLAS); CpuGemm own = new CpuGemm(2, Implementation.JAVA)) {
            assertEquals(Implementation.BLAS, blas.implementation());
            // Float sums of k products of values in [-1, 1): both round, in different orders.
            assertClose(o.gemm(own, 0.75f, -0.5f), o.gemm(blas, 0.75f, -0.5f), 1e-6 * k + 1e-6, 1e-5, "BLAS vs own");
            assertClose(o.gemm(own, 1f, 0f), o.gemm(blas, 1f, 0f), 1e-6 * k + 1e-6, 1e-5, "BLAS vs own, beta 0");
        }
    }

    @Test
    void subBlocksTouchOnlyTheirBlock() {
        needsBlas();
        // A [rows, cols] block inside C, as CpuBackend's per-image and per-slice calls pass them.
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                Operands o = Operands.of(37, 45, 29, transA, transB);
                try (CpuGemm blas = new CpuGemm(1, Implementation.BLAS); CpuGemm own = new CpuGemm(1, Implementation.JAVA)) {
                    String label = "block [5, 30) x [3, 41), transA " + transA + ", transB " + transB;
                    float[] expected = o.gemmBlock(own, 5, 30, 3, 41, 1f);
                    float[] got = o.gemmBlock(blas, 5, 30, 3, 41, 1f);
                    assertClose(expected, got, 1e-4, 1e-5, label);
                    for (int i = 0; i < o.m(); i++) {
                        for (int j = 0; j < o.n(); j++) {
                            if (i < 5 || i >= 30 || j < 3 || j >= 41) {
                                int at = o.cOff() + i * o.ldc() + j;
                                assertEquals(o.c()[at], got[at], label + ": C[" + i + ", " + j + "] outside the block changed");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void noTermsScalesC() {
        needsBlas();
        // k == 0 or alpha == 0: C = beta * C, and beta == 0 overwrites NaN.
        float[] c = {Float.NaN, 2, 3, 4};
        try (CpuGemm blas = new CpuGemm(1, Implementation.BLAS)) {
            float[] zeroK = c.clone();
            blas.gemm(false, false, 2, 2, 0, 1f, new float[0], 0, 0, new float[0], 0, 2, 0f, zeroK, 0, 2);
            assertClose(new float[] {0, 0, 0, 0}, zeroK, 0, 0, "k = 0, beta = 0");
            float[] zeroAlpha = {1, 2, 3, 4};
            blas.gemm(false, false, 2, 2, 2, 0f, new float[4], 0, 2, new float[4], 0, 2, 2f, zeroAlpha, 0, 2);
            assertClose(new float[] {2, 4, 6, 8}, zeroAlpha, 0, 0, "alpha = 0, beta = 2");
        }
    }

    @Test
    void bitIdenticalForAFixedThreadCount() {
        needsBlas();
        Operands o = Operands.of(300, 257, 700, false, true);
        for (int threads : new int[] {1, 2, 3}) {
            float[] first;
            try (CpuGemm g = new CpuGemm(threads, Implementation.BLAS)) {
                first = o.gemm(g, 1f, 0f);
            }
            try (CpuGemm g = new CpuGemm(threads, Implementation.BLAS)) {
                for (int repeat = 0; repeat < 3; repeat++) {
                    assertBitIdentical(first, o.gemm(g, 1f, 0f), threads + " threads, run " + repeat);
                }
            }
        }
    }

    @Test
    void onlyOptimizedLibrariesAreUsed() {
        assertEquals("OpenBLAS", CpuBlas.optimizedKind("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"));
        assertEquals("BLIS", CpuBlas.optimizedKind("/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3"));
        assertEquals("MKL", CpuBlas.optimizedKind("/opt/intel/oneapi/mkl/latest/lib/libmkl_rt.so.2"));
        // Debian's libblas3: the reference BLAS, slower than the own SGEMM.
        assertEquals(null, CpuBlas.optimizedKind("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"));
    }

    @Test
    void badPropertyIsNamed() {
        String before = System.getProperty(CpuGemm.PROPERTY);
        System.setProperty(CpuGemm.PROPERTY, "fast");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CpuGemm::defaultImplementation);
            assertEquals("-Dconvnet4j.cpu.gemm=fast: expected blas (the native BLAS) or java (the own SGEMM)", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(CpuGemm.PROPERTY);
            } else {
                System.setProperty(CpuGemm.PROPERTY, before);
            }
        }
    }
}
