package org.convnet4j.backend.cuda;

/**
 * Our own SGEMM (kernels/dense.cu): {@code sgemm_tiled}, 128x128 output tiles per 256-thread block, each
 * thread an 8x8 register block, K in steps of 8 through shared memory; the batch is gridDim.z.
 * {@code sgemm_naive} (one thread per output element) stays beside it as an oracle and a baseline.
 * Needs only the driver, so it is the fallback where no cuBLAS loads.
 */
final class KernelGemmProvider implements GemmProvider {
    static final int TILE = 128;
    static final int THREADS = 256;
    /** The largest gridDim.y and gridDim.z. */
    static final int MAX_GRID_Z = 65535;

    private final KernelLauncher launcher;
    private final String kernel;

    KernelGemmProvider(KernelLauncher launcher) {
        this(launcher, "sgemm_tiled");
    }

    /** kernel: "sgemm_tiled" or "sgemm_naive" (same arguments, same launch geometry). */
    KernelGemmProvider(KernelLauncher launcher, String kernel) {
        this.launcher = launcher;
        this.kernel = kernel;
    }

    @Override
    public String name() {
        return "kernel";
    }

    /** The launcher's stream. */
    @Override
    public CudaStream stream() {
        return launcher.stream();
    }

    @Override
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
                                    long c, int ldc, long strideC, int batch) {
        if (m <= 0 || n <= 0 || batch <= 0) {
            return;
        }
        int gridX = (int) KernelLauncher.ceilDiv(n, TILE);
        int gridY = (int) KernelLauncher.ceilDiv(m, TILE);
        if (gridY > MAX_GRID_Z) {
            throw new IllegalArgumentException("sgemm: m = " + m + " rows need " + gridY + " row tiles, more than the "
                    + MAX_GRID_Z + " a grid's y dimension allows");
        }
        for (int first = 0; first < batch; first += MAX_GRID_Z) {
            int count = Math.min(MAX_GRID_Z, batch - first);
            launcher.launchGrid(kernel, gridX, gridY, count, THREADS, 0,
                    transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha,
                    a + 4L * first * strideA, lda, strideA,
                    b + 4L * first * strideB, ldb, strideB,
                    beta, c + 4L * first * strideC, ldc, strideC);
        }
    }

    @Override
    public void close() {
        // nothing to free: the kernels belong to the backend's kernel image
    }
}
