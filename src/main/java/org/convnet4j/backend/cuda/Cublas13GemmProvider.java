package org.convnet4j.backend.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;
import org.convnet4j.backend.BackendUnavailableException;

/**
 * GEMM by cuBLAS 13 through org.bytedeco:cuda 13.3-9.25-1.5.14, for CUDA 13 installs. It binds the
 * system's libcublas.so.13 and libcudart.so.13 (we do not ship the cuda-redist jars), found as
 * {@link BytedecoLibraries} describes, and libcuda.so.1 of the driver.
 *
 * <p>Row-major operands are passed to column-major cuBLAS by C^T = op(B)^T op(A)^T
 * ({@link CublasGemmArguments}), one cublasSgemmStridedBatched per call, alpha and beta read from host
 * memory. Raw device addresses become javacpp FloatPointers whose address field is set and which own
 * nothing. The handle is created on the context current at construction (the device's primary context,
 * which CudaBackend makes current), runs on the backend's stream and has a fixed {@link CublasWorkspace},
 * so that its calls can be captured into a CUDA graph.
 */
public final class Cublas13GemmProvider implements GemmProvider {
    private static final String BINDING = "cuBLAS 13 (org.bytedeco cuda 13.3-9.25-1.5.14)";
    private static final String NEEDS = "libcublas.so.13 (a CUDA 13 install) and the driver's libcuda.so.1";

    /** System property that turns TF32 tensor-core math on (default off: plain FP32). */
    public static final String TF32_PROPERTY = "convnet4j.gemm.tf32";

    private final cublasContext handle;
    private final CudaStream stream;
    private final CublasWorkspace workspace;
    private final boolean tf32;
    private final FloatPointer alpha;
    private final FloatPointer beta;
    private boolean closed;

    /**
     * Loads the binding and creates a cuBLAS handle on the current context.
     *
     * @throws BackendUnavailableException naming the missing library ("libcublas.so.13 not found") or the
     *                                     cuBLAS status of a failed cublasCreate
     */
    public Cublas13GemmProvider(CudaStream stream) {
        this(stream, Boolean.getBoolean(TF32_PROPERTY));
    }

    /**
     * @param tf32 let cuBLAS round the operands to TF32 (10-bit mantissa) and use tensor cores: several
     *             times faster on Ampere and later, with relative errors of about 1e-3 instead of float
     *             rounding. Off unless asked for, by this argument or -Dconvnet4j.gemm.tf32=true.
     */
    public Cublas13GemmProvider(CudaStream stream, boolean tf32) {
        BytedecoLibraries.require(BINDING, NEEDS, BytedecoLibraries.CUBLAS);
        cublasContext h = new cublasContext();
        int status = cublas.cublasCreate_v2(h);
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new BackendUnavailableException(BINDING + ": cublasCreate failed with " + statusName(status)
                    + " (no CUDA device, or no current context?)");
        }
        // By default plain FP32: no TF32 tensor-core rounding, so results stay within float rounding of
        // the CPU's. TF32 only when asked for.
        cublas.cublasSetMathMode(h, tf32 ? cublas.CUBLAS_TF32_TENSOR_OP_MATH : cublas.CUBLAS_DEFAULT_MATH);
        CublasWorkspace w = new CublasWorkspace();
        int set = cublas.cublasSetStream_v2(h, BytedecoAddress.stream(stream));
        if (set == cublas.CUBLAS_STATUS_SUCCESS) {
            set = cublas.cublasSetWorkspace_v2(h, new BytedecoAddress(w.address()), CublasWorkspace.BYTES);
        }
        if (set != cublas.CUBLAS_STATUS_SUCCESS) {
            cublas.cublasDestroy_v2(h);
            w.close();
            throw new BackendUnavailableException(BINDING + ": setting the stream and workspace failed with "
                    + statusName(set));
        }
        handle = h;
        this.stream = stream;
        this.workspace = w;
        this.tf32 = tf32;
        alpha = new FloatPointer(1);
        beta = new FloatPointer(1);
    }

    @Override
    public String name() {
        return tf32 ? "cublas13-tf32" : "cublas13";
    }

    @Override
    public CudaStream stream() {
        return stream;
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
        this.alpha.put(0, alpha);
        this.beta.put(0, beta);
        int status = cublas.cublasSgemmStridedBatched(handle, op(g.transA()), op(g.transB()), g.m(), g.n(), g.k(),
                this.alpha, new DeviceFloatPointer(g.a()), g.lda(), g.strideA(),
                new DeviceFloatPointer(g.b()), g.ldb(), g.strideB(),
                this.beta, new DeviceFloatPointer(g.c()), g.ldc(), g.strideC(), g.batch());
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException(BINDING + ": cublasSgemmStridedBatched failed with "
                    + statusName(status) + " for column-major " + g);
        }
    }

    private static int op(boolean transpose) {
        return transpose ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N;
    }

    private static String statusName(int status) {
        return cublas.cublasGetStatusName(status).getString() + " (" + status + ")";
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            cublas.cublasDestroy_v2(handle);
            workspace.close();
            alpha.close();
            beta.close();
        }
    }

    /** A javacpp FloatPointer to a raw device address; it owns nothing and frees nothing. */
    private static final class DeviceFloatPointer extends FloatPointer {
        DeviceFloatPointer(long address) {
            this.address = address;
        }
    }
}
