package org.convnet4j.backend.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;
import org.convnet4j.backend.BackendUnavailableException;

/**
 * GEMM by cuBLAS through JCublas2 12.6.0, for CUDA 12 installs: its native library links libcublas.so.12,
 * so it loads only where a CUDA 12 toolkit (or the cuBLAS 12 runtime) is installed.
 *
 * <p>Row-major operands are passed to column-major cuBLAS by C^T = op(B)^T op(A)^T
 * ({@link CublasGemmArguments}), one cublasSgemmStridedBatched per call, alpha and beta read from host
 * memory. The handle is created on the context current at construction (the device's primary context,
 * which CudaBackend makes current), runs on the backend's stream and has a fixed {@link CublasWorkspace},
 * so that its calls can be captured into a CUDA graph.
 */
public final class JCublasGemmProvider implements GemmProvider {
    private static final String BINDING = "JCublas2 12.6.0";
    private static final String NEEDS = "libcublas.so.12 (a CUDA 12 install)";
    /** The first load failure, repeated to later callers (JCublas2's class cannot initialize twice). */
    private static volatile String loadFailure;

    private final cublasHandle handle = new cublasHandle();
    private final CudaStream stream;
    private final CublasWorkspace workspace;
    private final float[] alpha = new float[1];
    private final float[] beta = new float[1];
    private boolean closed;

    /**
     * Loads JCublas2 and creates a cuBLAS handle on the current context, running on stream.
     *
     * @throws BackendUnavailableException naming the missing library ("libcublas.so.12 not found") or the
     *                                     cuBLAS status of a failed cublasCreate
     */
    public JCublasGemmProvider(CudaStream stream) {
        this.stream = stream;
        loadJCublas2();
        int status = JCublas2.cublasCreate(handle);
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new BackendUnavailableException(BINDING + ": cublasCreate failed with "
                    + cublasStatus.stringFor(status) + " (no CUDA device, or no current context?)");
        }
        // Plain FP32: no TF32 tensor-core rounding, so results stay within float rounding of the CPU's.
        JCublas2.cublasSetMathMode(handle, cublasMath.CUBLAS_DEFAULT_MATH);
        workspace = new CublasWorkspace();
        check(JCublas2.cublasSetStream(handle, new cudaStream_t(stream.cuStream())), "cublasSetStream");
        check(JCublas2.cublasSetWorkspace(handle, new DevicePointer(workspace.address()), CublasWorkspace.BYTES),
                "cublasSetWorkspace");
    }

    @Override
    public CudaStream stream() {
        return stream;
    }

    private void check(int status, String call) {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            JCublas2.cublasDestroy(handle);
            workspace.close();
            throw new BackendUnavailableException(BINDING + ": " + call + " failed with "
                    + cublasStatus.stringFor(status));
        }
    }

    private static void loadJCublas2() {
        String failure = loadFailure;
        if (failure == null) {
            try {
                JCublas2.initialize();
                return;
            } catch (LinkageError e) { // UnsatisfiedLinkError; later NoClassDefFoundError
                failure = e.getClass().getSimpleName() + ": "
                        + NativeLoadErrors.summarize(BytedecoLibraries.messages(e));
                loadFailure = failure;
            }
        }
        throw new BackendUnavailableException(BINDING + " needs " + NEEDS + ": " + failure);
    }

    @Override
    public String name() {
        return "jcublas";
    }

    @Override
    public synchronized void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                                 long a, int lda, long strideA, long b, int ldb, long strideB,
                                                 float beta, long c, int ldc, long strideC, int batch) {
        if (closed) {
            throw new IllegalStateException(BINDING + " GEMM provider used after close");
        }
        CublasGemmArguments g = CublasGemmArguments.fromRowMajor(transA, transB, m, n, k,
                a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch);
        this.alpha[0] = alpha;
        this.beta[0] = beta;
        int status = JCublas2.cublasSgemmStridedBatched(handle, op(g.transA()), op(g.transB()), g.m(), g.n(), g.k(),
                Pointer.to(this.alpha), new DevicePointer(g.a()), g.lda(), g.strideA(),
                new DevicePointer(g.b()), g.ldb(), g.strideB(),
                Pointer.to(this.beta), new DevicePointer(g.c()), g.ldc(), g.strideC(), g.batch());
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException(BINDING + ": cublasSgemmStridedBatched failed with "
                    + cublasStatus.stringFor(status) + " for column-major " + g);
        }
    }

    private static int op(boolean transpose) {
        return transpose ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            JCublas2.cublasDestroy(handle);
            workspace.close();
        }
    }

    /** A JCuda pointer to a raw device address (JCuda's constructor for one is protected). */
    private static final class DevicePointer extends Pointer {
        DevicePointer(long address) {
            super(address);
        }
    }
}
