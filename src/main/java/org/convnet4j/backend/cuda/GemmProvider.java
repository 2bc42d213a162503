package org.convnet4j.backend.cuda;

/**
 * Single-precision GEMM on device memory, row-major. Implementations: our own kernel
 * ({@link KernelGemmProvider}, always available where the kernel image loads) and cuBLAS through one of
 * its Java bindings. {@link GemmProviders} picks one at start-up.
 */
public interface GemmProvider extends AutoCloseable {

    /** The name the system property {@code convnet4j.gemm} uses for this provider, e.g. "kernel". */
    String name();

    /** The stream its GEMMs run on: the backend's. */
    CudaStream stream();

    /**
     * Row-major, for i in [0,batch): C_i = alpha*op(A_i)*op(B_i) + beta*C_i, op(A_i) [m,k], op(B_i) [k,n], C_i [m,n];
     * a, b, c are raw device addresses; lda/ldb/ldc are row strides (elements) of the stored (untransposed)
     * matrices; strides between batch items in elements (0 = the same matrix for every item). Runs on the
     * backend's stream, given to the provider when it was created. With beta == 0, C is not read (it may hold
     * NaN). Allocates nothing, so it can be captured into a CUDA graph (cuBLAS gets a fixed workspace).
     */
    void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
                             long c, int ldc, long strideC, int batch);

    @Override
    void close();
}
