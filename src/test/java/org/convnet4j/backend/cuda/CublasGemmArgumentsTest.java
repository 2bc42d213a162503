package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The row-major to column-major mapping the cuBLAS providers use, checked without a GPU: a model of
 * cublasSgemmStridedBatched (column-major, as cuBLAS documents it) runs the mapped arguments on a float
 * array standing for device memory (addresses are element offsets into it), and must give what a naive
 * row-major GEMM computes from the original arguments, for every transpose combination, padded row
 * strides and batch strides including 0 (one matrix shared by every item).
 */
class CublasGemmArgumentsTest {

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4} batch={5} shareA={6} shareB={7}")
    @CsvSource({
            "false, false, 3, 5, 4, 1, false, false",
            "true,  false, 3, 5, 4, 1, false, false",
            "false, true,  3, 5, 4, 1, false, false",
            "true,  true,  3, 5, 4, 1, false, false",
            "false, false, 7, 2, 9, 3, false, false",
            "true,  false, 7, 2, 9, 3, true,  false",
            "false, true,  1, 6, 5, 4, false, true",
            "true,  true,  6, 1, 3, 2, false, false",
            "false, false, 1, 1, 1, 1, false, false",
            "true,  true,  4, 4, 4, 5, true,  true",
    })
    void mappedCallComputesTheRowMajorProduct(boolean transA, boolean transB, int m, int n, int k, int batch,
                                              boolean shareA, boolean shareB) {
        Random rng = new Random(31L * m + 7L * n + k + (transA ? 100 : 0) + (transB ? 1000 : 0));
        // Stored row-major shapes and padded row strides.
        int rowsA = transA ? k : m;
        int colsA = transA ? m : k;
        int rowsB = transB ? n : k;
        int colsB = transB ? k : n;
        int lda = colsA + 2;
        int ldb = colsB + 1;
        int ldc = n + 3;
        long strideA = shareA ? 0 : (long) rowsA * lda + 5;
        long strideB = shareB ? 0 : (long) rowsB * ldb + 1;
        long strideC = (long) m * ldc + 2;
        long a = 11;
        long b = a + strideA * (batch - 1) + (long) rowsA * lda + 7;
        long c = b + strideB * (batch - 1) + (long) rowsB * ldb + 3;
        float[] memory = new float[(int) (c + strideC * (batch - 1) + (long) m * ldc + 13)];
        for (int i = 0; i < memory.length; i++) {
            memory[i] = rng.nextFloat() * 2 - 1;
        }
        float alpha = 1.5f;
        float beta = -0.75f;

        float[] expected = memory.clone();
        rowMajorReference(expected, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                beta, c, ldc, strideC, batch);

        CublasGemmArguments g = CublasGemmArguments.fromRowMajor(transA, transB, m, n, k,
                a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch);
        float[] actual = memory.clone();
        columnMajorCublasModel(actual, g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha, g.a(), g.lda(),
                g.strideA(), g.b(), g.ldb(), g.strideB(), beta, g.c(), g.ldc(), g.strideC(), g.batch());

        int changed = 0;
        for (int i = 0; i < memory.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f * (1 + Math.abs(expected[i])), "memory[" + i + "]");
            if (expected[i] != memory[i]) {
                changed++;
            }
        }
        // Every element of every C item changed, and nothing else (padding, A and B stay as they were).
        assertEquals(m * n * batch, changed, "elements written");
    }

    @Test
    void swapsOperandsAndDimensions() {
        CublasGemmArguments g = CublasGemmArguments.fromRowMajor(true, false, 2, 3, 4,
                100, 2, 8, 200, 3, 12, 300, 3, 6, 2);
        assertEquals(new CublasGemmArguments(false, true, 3, 2, 4, 200, 3, 12, 100, 2, 8, 300, 3, 6, 2), g);
    }

    @Test
    void rejectsRowStridesShorterThanTheStoredRows() {
        // A not transposed is stored [m,k] = [2,4]: a row has 4 elements.
        var e = assertThrows(IllegalArgumentException.class, () -> CublasGemmArguments.fromRowMajor(
                false, false, 2, 3, 4, 0, 3, 0, 0, 3, 0, 0, 3, 0, 1));
        assertTrue(e.getMessage().contains("lda must be >= 4"), e.getMessage());
        // B transposed is stored [n,k] = [3,4].
        e = assertThrows(IllegalArgumentException.class, () -> CublasGemmArguments.fromRowMajor(
                false, true, 2, 3, 4, 0, 4, 0, 0, 3, 0, 0, 3, 0, 1));
        assertTrue(e.getMessage().contains("ldb must be >= 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CublasGemmArguments.fromRowMajor(
                false, false, 2, 3, 4, 0, 4, 0, 0, 3, 0, 0, 2, 0, 1));
        assertTrue(e.getMessage().contains("ldc must be >= n = 3"), e.getMessage());
    }

    @Test
    void rejectsEmptySizesNegativeStridesAndOverlappingOutputs() {
        assertThrows(IllegalArgumentException.class, () -> CublasGemmArguments.fromRowMajor(
                false, false, 0, 3, 4, 0, 4, 0, 0, 3, 0, 0, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> CublasGemmArguments.fromRowMajor(
                false, false, 2, 3, 4, 0, 4, -1, 0, 3, 0, 0, 3, 6, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> CublasGemmArguments.fromRowMajor(
                false, false, 2, 3, 4, 0, 4, 8, 0, 3, 12, 0, 3, 0, 2));
        assertTrue(e.getMessage().contains("strideC must be >= 6"), e.getMessage());
        // One item may use strideC 0; C items exactly adjacent are fine.
        CublasGemmArguments.fromRowMajor(false, false, 2, 3, 4, 0, 4, 8, 0, 3, 12, 0, 3, 0, 1);
        CublasGemmArguments.fromRowMajor(false, false, 2, 3, 4, 0, 4, 8, 0, 3, 12, 0, 3, 6, 2);
    }

    /** Row-major, straight from the GemmProvider contract, in double. */
    static void rowMajorReference(float[] mem, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                  long a, int lda, long strideA, long b, int ldb, long strideB,
                                  float beta, long c, int ldc, long strideC, int batch) {
        for (int item = 0; item < batch; item++) {
            long ai = a + item * strideA;
            long bi = b + item * strideB;
            long ci = c + item * strideC;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int l = 0; l < k; l++) {
                        double av = transA ? mem[(int) (ai + (long) l * lda + i)] : mem[(int) (ai + (long) i * lda + l)];
                        double bv = transB ? mem[(int) (bi + (long) j * ldb + l)] : mem[(int) (bi + (long) l * ldb + j)];
                        sum += av * bv;
                    }
                    int at = (int) (ci + (long) i * ldc + j);
                    mem[at] = (float) (alpha * sum + beta * mem[at]);
                }
            }
        }
    }

    /**
     * cublasSgemmStridedBatched as cuBLAS documents it: column-major, element (r, col) of a matrix with
     * leading dimension ld at address + r + col * ld; op(A) [m,k], op(B) [k,n], C [m,n].
     */
    static void columnMajorCublasModel(float[] mem, boolean transA, boolean transB, int m, int n, int k,
                                       float alpha, long a, int lda, long strideA, long b, int ldb, long strideB,
                                       float beta, long c, int ldc, long strideC, int batch) {
        for (int item = 0; item < batch; item++) {
            long ai = a + item * strideA;
            long bi = b + item * strideB;
            long ci = c + item * strideC;
            for (int col = 0; col < n; col++) {
                for (int r = 0; r < m; r++) {
                    double sum = 0;
                    for (int l = 0; l < k; l++) {
                        double av = transA ? mem[(int) (ai + l + (long) r * lda)] : mem[(int) (ai + r + (long) l * lda)];
                        double bv = transB ? mem[(int) (bi + col + (long) l * ldb)] : mem[(int) (bi + l + (long) col * ldb)];
                        sum += av * bv;
                    }
                    int at = (int) (ci + r + (long) col * ldc);
                    mem[at] = (float) (alpha * sum + beta * mem[at]);
                }
            }
        }
    }
}
