package org.convnet4j.backend.cpu;

/**
 * Row-major single-precision GEMM in plain Java: C = alpha * op(A) * op(B) + beta * C, where op(A) is
 * [M, K] and op(B) is [K, N], each optionally stored transposed, with leading dimensions and offsets into
 * the arrays, as BLAS takes them.
 *
 * <p>How it is fast: C is computed a block of KC values of k and NC columns at a time. op(B)'s block is
 * read in place when B is not transposed (its rows are contiguous) and otherwise packed once per block
 * into a contiguous [KC, NC] buffer (512 KiB, sized for L2). The inner loop updates one row of C from
 * four rows of the B block at once, c[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]: a contiguous loop
 * over j that HotSpot's superword pass turns into SIMD code, with one load and one store of C per four
 * multiply-adds.
 *
 * <p>Determinism: every C element is summed over k in the same order (blocks of KC ascending, groups of
 * four within a block), whatever the partition, so results are bit-identical for any thread count.
 * Threads split C by rows (or by columns when C has fewer rows than threads times four), never by k.
 */
public final class CpuGemm implements AutoCloseable {
    /** Values of k per block. */
    static final int KC = 256;
    /** Columns per block. */
    static final int NC = 512;

    private final CpuThreads threads;
    private final boolean ownsThreads;
    private final MemoryCounter memory;
    private final float[][] packs;

    /** A GEMM with its own {@code threads} worker threads (close it to stop them). */
    public CpuGemm(int threads) {
        this(new CpuThreads(threads), true, new MemoryCounter());
    }

    CpuGemm(CpuThreads threads, MemoryCounter memory) {
        this(threads, false, memory);
    }

    private CpuGemm(CpuThreads threads, boolean ownsThreads, MemoryCounter memory) {
        this.threads = threads;
        this.ownsThreads = ownsThreads;
        this.memory = memory;
        this.packs = new float[threads.threads()][];
    }

    /** Number of threads this GEMM splits work over. */
    public int threads() {
        return threads.threads();
    }

    /**
     * C = alpha * op(A) * op(B) + beta * C on all threads. op(A) is [m, k]: A is stored [m, k] with row
     * stride lda, or [k, m] when transA. op(B) is [k, n]: B is stored [k, n] with row stride ldb, or
     * [n, k] when transB. C is [m, n] with row stride ldc. beta == 0 overwrites C without reading it.
     */
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        checkArguments(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        int t = threads.threads();
        if (m >= 4 * t || m >= n) {
            threads.parallelFor(m, (part, i0, i1) -> gemmBlock(part, transA, transB, i0, i1, 0, n, k, alpha,
                    a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
        } else {
            // Few rows: split columns, in whole groups of 16 so each part's loop stays vector-friendly.
            int groups = (n + 15) / 16;
            threads.parallelFor(groups, (part, g0, g1) -> gemmBlock(part, transA, transB, 0, m,
                    g0 * 16, Math.min(n, g1 * 16), k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
        }
    }

    /**
     * The same product on the calling thread, for rows [i0, i1) and columns [j0, j1) of C only, using
     * part {@code part}'s packing buffer. For callers that already run inside a parallel part.
     */
    void gemmBlock(int part, boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k,
                   float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                   float beta, float[] c, int cOff, int ldc) {
        scale(beta, i0, i1, j0, j1, c, cOff, ldc);
        if (k == 0 || alpha == 0f) {
            return;
        }
        float[] pack = transB ? pack(part) : null;
        for (int jb = j0; jb < j1; jb += NC) {
            int nc = Math.min(NC, j1 - jb);
            for (int kb = 0; kb < k; kb += KC) {
                int kc = Math.min(KC, k - kb);
                float[] bp;
                int bBase;
                int bStride;
                if (transB) {
                    packTransposed(b, bOff, ldb, kb, kc, jb, nc, pack);
                    bp = pack;
                    bBase = 0;
                    bStride = nc;
                } else {
                    bp = b;
                    bBase = bOff + kb * ldb + jb;
                    bStride = ldb;
                }
                for (int i = i0; i < i1; i++) {
                    // op(A)[i, kb + kk] is at aRow + kk * aStep.
                    int aRow = transA ? aOff + kb * lda + i : aOff + i * lda + kb;
                    int aStep = transA ? lda : 1;
                    rowUpdate(alpha, a, aRow, aStep, kc, bp, bBase, bStride, nc, c, cOff + i * ldc + jb);
                }
            }
        }
    }

    /** c[ci + j] += sum over kk of (alpha * a[aRow + kk*aStep]) * b[bBase + kk*bStride + j], j < nc. */
    private static void rowUpdate(float alpha, float[] a, int aRow, int aStep, int kc,
                                  float[] b, int bBase, int bStride, int nc, float[] c, int ci) {
        int kk = 0;
        for (; kk + 3 < kc; kk += 4) {
            float a0 = alpha * a[aRow + kk * aStep];
            float a1 = alpha * a[aRow + (kk + 1) * aStep];
            float a2 = alpha * a[aRow + (kk + 2) * aStep];
            float a3 = alpha * a[aRow + (kk + 3) * aStep];
            int b0 = bBase + kk * bStride;
            int b1 = b0 + bStride;
            int b2 = b1 + bStride;
            int b3 = b2 + bStride;
            for (int j = 0; j < nc; j++) {
                c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
            }
        }
        for (; kk < kc; kk++) {
            float a0 = alpha * a[aRow + kk * aStep];
            int b0 = bBase + kk * bStride;
            for (int j = 0; j < nc; j++) {
                c[ci + j] += a0 * b[b0 + j];
            }
        }
    }

    /** pack[kk * nc + jj] = B^T block: b[bOff + (jb + jj) * ldb + kb + kk]. */
    private static void packTransposed(float[] b, int bOff, int ldb, int kb, int kc, int jb, int nc, float[] pack) {
        for (int jj = 0; jj < nc; jj++) {
            int src = bOff + (jb + jj) * ldb + kb;
            for (int kk = 0; kk < kc; kk++) {
                pack[kk * nc + jj] = b[src + kk];
            }
        }
    }

    private static void scale(float beta, int i0, int i1, int j0, int j1, float[] c, int cOff, int ldc) {
        if (beta == 1f) {
            return;
        }
        for (int i = i0; i < i1; i++) {
            int row = cOff + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, row + j0, row + j1, 0f);
            } else {
                for (int j = j0; j < j1; j++) {
                    c[row + j] *= beta;
                }
            }
        }
    }

    private float[] pack(int part) {
        float[] p = packs[part];
        if (p == null) {
            p = new float[KC * NC];
            packs[part] = p;
            memory.allocated((long) p.length * Float.BYTES);
        }
        return p;
    }

    private static void checkArguments(boolean transA, boolean transB, int m, int n, int k,
                                       float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                       float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        checkMatrix("A", a, aOff, lda, aRows, aCols);
        checkMatrix("B", b, bOff, ldb, bRows, bCols);
        checkMatrix("C", c, cOff, ldc, m, n);
    }

    private static void checkMatrix(String name, float[] x, int off, int ld, int rows, int cols) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (ld < cols || off < 0 || (long) off + (long) (rows - 1) * ld + cols > x.length) {
            throw new IllegalArgumentException("gemm: " + name + " [" + rows + ", " + cols + "] with offset " + off
                    + " and leading dimension " + ld + " does not fit in an array of " + x.length + " floats");
        }
    }

    /** Bytes of packing buffers allocated so far. */
    long workspaceBytes() {
        long bytes = 0;
        for (float[] p : packs) {
            bytes += p == null ? 0 : (long) p.length * Float.BYTES;
        }
        return bytes;
    }

    /** Drops the packing buffers (and stops the threads if this GEMM made them). */
    @Override
    public void close() {
        for (int i = 0; i < packs.length; i++) {
            if (packs[i] != null) {
                memory.freed((long) packs[i].length * Float.BYTES);
                packs[i] = null;
            }
        }
        if (ownsThreads) {
            threads.close();
        }
    }
}
