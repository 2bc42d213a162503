package org.convnet4j.backend.cpu;

import dev.ludovic.netlib.blas.NativeBLAS;

/**
 * Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, where op(A) is [M, K] and op(B)
 * is [K, N], each optionally stored transposed, with leading dimensions and offsets into the arrays, as
 * BLAS takes them.
 *
 * <p>Two implementations ({@link Implementation}): the machine's optimized native BLAS ({@link CpuBlas}:
 * OpenBLAS, BLIS or MKL installed as {@code libblas.so.3}) where one loads, else our own SGEMM in plain
 * Java, which is also the oracle the BLAS is tested against. {@code -Dconvnet4j.cpu.gemm=blas|java}
 * forces one ({@code blas} fails with the reason when none loads). Either way the threads of this class
 * split C into the same blocks, and each block is one call.
 *
 * <p>The own SGEMM, how it is fast: C is computed a block of KC = 128 values of k and NC = 256 columns at a time.
 * op(B)'s block is packed (copied, or gathered when B is transposed) into KC separate rows of NC floats
 * (128 KiB, kept in L2), and each row of C's block is copied into a row buffer. The inner loop then
 * updates that row from four packed rows at once, acc[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]:
 * one load and store of C per four multiply-adds. Every array in that loop is indexed from 0, which is
 * what lets HotSpot 17's superword pass turn it into AVX code: with different offsets into float arrays
 * it cannot prove the store does not overlap the loads and keeps the loop scalar (measured: about 5x
 * slower). Loops that update several rows of C at once were not vectorized either, hence one row.
 *
 * <p>Determinism: threads split C by rows (or by columns when C has fewer rows than threads times four),
 * never by k, so the result is the same on every run with the same thread count. The own SGEMM sums
 * every C element over k in the same order (blocks of KC ascending, groups of four within a block),
 * whatever the partition, so its results are bit-identical for any thread count. A BLAS's kernels may
 * round differently at block edges, so with a BLAS only a fixed thread count is guaranteed bit-identical.
 */
public final class CpuGemm implements AutoCloseable {
    /** Values of k per block. */
    static final int KC = 128;
    /** Columns per block. */
    static final int NC = 256;

    /** The system property that forces an implementation: {@code blas} or {@code java}. */
    public static final String PROPERTY = "convnet4j.cpu.gemm";

    /** Which SGEMM does the work. */
    public enum Implementation {
        /** The machine's optimized native BLAS (see {@link CpuBlas}). */
        BLAS,
        /** Our own blocked SGEMM in plain Java. */
        JAVA
    }

    private final CpuThreads threads;
    private final boolean ownsThreads;
    private final MemoryCounter memory;
    private final Workspace[] workspaces;
    /** The native BLAS, or null for the own SGEMM. */
    private final NativeBLAS blas;

    /**
     * A GEMM with its own {@code threads} worker threads (close it to stop them), on the implementation
     * {@link #defaultImplementation()} chooses.
     */
    public CpuGemm(int threads) {
        this(threads, defaultImplementation());
    }

    /** A GEMM with its own {@code threads} worker threads on the given implementation. */
    public CpuGemm(int threads, Implementation implementation) {
        this(new CpuThreads(threads), true, new MemoryCounter(), implementation);
    }

    CpuGemm(CpuThreads threads, MemoryCounter memory) {
        this(threads, false, memory, defaultImplementation());
    }

    private CpuGemm(CpuThreads threads, boolean ownsThreads, MemoryCounter memory, Implementation implementation) {
        if (implementation == Implementation.BLAS && CpuBlas.blas() == null) {
            throw new IllegalStateException("CpuGemm: the native BLAS was asked for but is not used: "
                    + CpuBlas.unavailableReason());
        }
        this.threads = threads;
        this.ownsThreads = ownsThreads;
        this.memory = memory;
        this.workspaces = new Workspace[threads.threads()];
        this.blas = implementation == Implementation.BLAS ? CpuBlas.blas() : null;
    }

    /**
     * The implementation a new CpuGemm uses: the one {@code -Dconvnet4j.cpu.gemm=blas|java} names, else
     * the native BLAS where one loads, else the own SGEMM.
     */
    public static Implementation defaultImplementation() {
        String forced = System.getProperty(PROPERTY, "");
        return switch (forced) {
            case "" -> CpuBlas.blas() != null ? Implementation.BLAS : Implementation.JAVA;
            case "blas" -> Implementation.BLAS;
            case "java" -> Implementation.JAVA;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + forced
                    + ": expected blas (the native BLAS) or java (the own SGEMM)");
        };
    }

    /**
     * One line on what {@link #defaultImplementation()} picks and why, e.g. "native BLAS: OpenBLAS
     * /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so" or "own blocked SGEMM (plain
     * Java; no native BLAS: ...)".
     */
    public static String describeDefault() {
        String forced = System.getProperty(PROPERTY, "");
        String how = forced.isEmpty() ? "" : ", forced by -D" + PROPERTY + "=" + forced;
        if (defaultImplementation() == Implementation.BLAS) {
            String loaded = CpuBlas.loadedDescription();
            return "native BLAS: " + (loaded != null ? loaded : "not loaded: " + CpuBlas.unavailableReason()) + how;
        }
        String reason = CpuBlas.unavailableReason();
        return "own blocked SGEMM (plain Java" + how + (reason != null && forced.isEmpty() ? "; " + reason : "") + ")";
    }

    /** The implementation this GEMM runs on. */
    public Implementation implementation() {
        return blas != null ? Implementation.BLAS : Implementation.JAVA;
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
     * part {@code part}'s packing buffers. For callers that already run inside a parallel part.
     */
    void gemmBlock(int part, boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k,
                   float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                   float beta, float[] c, int cOff, int ldc) {
        if (blas != null && k > 0 && alpha != 0f) {
            if (i0 < i1 && j0 < j1) {
                CpuBlas.gemmBlock(blas, transA, transB, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb,
                        beta, c, cOff, ldc);
            }
            return;
        }
        scale(beta, i0, i1, j0, j1, c, cOff, ldc);
        if (k == 0 || alpha == 0f || i0 >= i1 || j0 >= j1) {
            return;
        }
        Workspace ws = workspace(part);
        float[][] panel = ws.panel;
        float[] acc = ws.acc;
        int aStep = transA ? lda : 1;
        for (int jb = j0; jb < j1; jb += NC) {
            int nc = Math.min(NC, j1 - jb);
            for (int kb = 0; kb < k; kb += KC) {
                int kc = Math.min(KC, k - kb);
                pack(transB, b, bOff, ldb, kb, kc, jb, nc, panel);
                for (int i = i0; i < i1; i++) {
                    // op(A)[i, kb + kk] is at aRow + kk * aStep.
                    int aRow = transA ? aOff + kb * lda + i : aOff + i * lda + kb;
                    int cRow = cOff + i * ldc + jb;
                    System.arraycopy(c, cRow, acc, 0, nc);
                    int kk = 0;
                    for (; kk + 3 < kc; kk += 4) {
                        int at = aRow + kk * aStep;
                        axpy4(acc, alpha * a[at], panel[kk], alpha * a[at + aStep], panel[kk + 1],
                                alpha * a[at + 2 * aStep], panel[kk + 2], alpha * a[at + 3 * aStep], panel[kk + 3], nc);
                    }
                    for (; kk < kc; kk++) {
                        axpy1(acc, alpha * a[aRow + kk * aStep], panel[kk], nc);
                    }
                    System.arraycopy(acc, 0, c, cRow, nc);
                }
            }
        }
    }

    /**
     * acc[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j] for j &lt; n. Every array is indexed from 0:
     * HotSpot (17) vectorizes this loop only when the stored and loaded indices share one offset,
     * because it cannot prove that two float arrays are distinct.
     */
    private static void axpy4(float[] acc, float a0, float[] b0, float a1, float[] b1, float a2, float[] b2,
                              float a3, float[] b3, int n) {
        for (int j = 0; j < n; j++) {
            acc[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        }
    }

    private static void axpy1(float[] acc, float a0, float[] b0, int n) {
        for (int j = 0; j < n; j++) {
            acc[j] += a0 * b0[j];
        }
    }

    /** panel[kk][jj] = op(B)[kb + kk, jb + jj] for kk &lt; kc, jj &lt; nc. */
    private static void pack(boolean transB, float[] b, int bOff, int ldb, int kb, int kc, int jb, int nc,
                             float[][] panel) {
        if (!transB) {
            for (int kk = 0; kk < kc; kk++) {
                System.arraycopy(b, bOff + (kb + kk) * ldb + jb, panel[kk], 0, nc);
            }
            return;
        }
        for (int jj = 0; jj < nc; jj++) {
            int src = bOff + (jb + jj) * ldb + kb;
            for (int kk = 0; kk < kc; kk++) {
                panel[kk][jj] = b[src + kk];
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

    /** One part's buffers: the packed block of op(B), one row per k, and one row of C. */
    private static final class Workspace {
        final float[][] panel = new float[KC][NC];
        final float[] acc = new float[NC];

        static long bytes() {
            return ((long) KC * NC + NC) * Float.BYTES;
        }
    }

    private Workspace workspace(int part) {
        Workspace w = workspaces[part];
        if (w == null) {
            w = new Workspace();
            workspaces[part] = w;
            memory.allocated(Workspace.bytes());
        }
        return w;
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


    /** Drops the packing buffers (and stops the threads if this GEMM made them). */
    @Override
    public void close() {
        for (int i = 0; i < workspaces.length; i++) {
            if (workspaces[i] != null) {
                memory.freed(Workspace.bytes());
                workspaces[i] = null;
            }
        }
        if (ownsThreads) {
            threads.close();
        }
    }
}
