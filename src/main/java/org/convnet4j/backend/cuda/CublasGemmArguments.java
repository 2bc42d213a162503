package org.convnet4j.backend.cuda;

/**
 * The column-major (cuBLAS) arguments of a row-major strided batched SGEMM.
 *
 * <p>A row-major matrix X [r, c] with row stride ld is, read column-major, X^T [c, r] with leading
 * dimension ld. So the row-major product C = op(A) op(B) is the column-major product
 * C^T = op(B)^T op(A)^T: cuBLAS is called with the operands swapped (A' = B, B' = A), m and n swapped,
 * and each operand keeping its own transpose flag (a stored, untransposed row-major B read
 * column-major already is B^T). Leading dimensions are the row strides unchanged; C needs no copy.
 *
 * <p>Field names are cuBLAS's: {@code a} is the first operand cuBLAS reads (the row-major B), and so on.
 * Addresses and strides are passed through untouched, so the same mapping serves any binding.
 *
 * @param transA  cuBLAS transa (CUBLAS_OP_T when true)
 * @param transB  cuBLAS transb
 * @param m       rows of column-major op(A') and C^T = the row-major n
 * @param n       columns of column-major op(B') and C^T = the row-major m
 * @param k       the shared dimension
 * @param a       address of A' (the row-major B)
 * @param lda     leading dimension of A' (the row-major ldb)
 * @param strideA elements between batch items of A' (the row-major strideB)
 * @param b       address of B' (the row-major A)
 * @param ldb     leading dimension of B' (the row-major lda)
 * @param strideB elements between batch items of B' (the row-major strideA)
 * @param c       address of C (unchanged)
 * @param ldc     leading dimension of C (the row-major ldc)
 * @param strideC elements between batch items of C
 * @param batch   number of products
 */
record CublasGemmArguments(boolean transA, boolean transB, int m, int n, int k,
                           long a, int lda, long strideA, long b, int ldb, long strideB,
                           long c, int ldc, long strideC, int batch) {

    /**
     * Maps a row-major call (the arguments of {@link GemmProvider#sgemmStridedBatched}) to cuBLAS's,
     * checking it first.
     *
     * @throws IllegalArgumentException when a size is below 1, a row stride is shorter than the stored
     *                                  row, a batch stride is negative, or the outputs of two batch items
     *                                  would overlap
     */
    static CublasGemmArguments fromRowMajor(boolean transA, boolean transB, int m, int n, int k,
                                            long a, int lda, long strideA, long b, int ldb, long strideB,
                                            long c, int ldc, long strideC, int batch) {
        String call = "sgemmStridedBatched(transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n
                + ", k=" + k + ", lda=" + lda + ", strideA=" + strideA + ", ldb=" + ldb + ", strideB=" + strideB
                + ", ldc=" + ldc + ", strideC=" + strideC + ", batch=" + batch + ")";
        if (m < 1 || n < 1 || k < 1 || batch < 1) {
            throw new IllegalArgumentException(call + ": m, n, k and batch must be >= 1");
        }
        // Stored (untransposed) row-major shapes: A is [m,k], or [k,m] when transposed; likewise B.
        int rowA = transA ? m : k;
        int rowB = transB ? k : n;
        if (lda < rowA) {
            throw new IllegalArgumentException(call + ": lda must be >= " + rowA + " (the length of a stored row of A)");
        }
        if (ldb < rowB) {
            throw new IllegalArgumentException(call + ": ldb must be >= " + rowB + " (the length of a stored row of B)");
        }
        if (ldc < n) {
            throw new IllegalArgumentException(call + ": ldc must be >= n = " + n);
        }
        if (strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException(call + ": batch strides must be >= 0");
        }
        long spanC = (long) (m - 1) * ldc + n;
        if (batch > 1 && strideC < spanC) {
            throw new IllegalArgumentException(call + ": strideC must be >= " + spanC
                    + " so that the " + batch + " outputs do not overlap");
        }
        return new CublasGemmArguments(transB, transA, n, m, k, b, ldb, strideB, a, lda, strideA,
                c, ldc, strideC, batch);
    }
}
