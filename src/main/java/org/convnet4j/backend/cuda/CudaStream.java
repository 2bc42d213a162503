package org.convnet4j.backend.cuda;

import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA stream a {@link CudaBackend} runs everything on: every kernel, copy, fill and GEMM (and the
 * cuDNN baselines) is issued to it, in program order. It is a non-blocking stream (CU_STREAM_NON_BLOCKING),
 * so it does not wait for the legacy default stream nor the legacy stream for it: an embedder orders its
 * own work after ours by issuing it to this stream (see docs/embedding.md), and the stream can be captured
 * into a CUDA graph, which the legacy stream cannot.
 */
public final class CudaStream {
    private final CUstream stream;
    private final long handle;

    private CudaStream(CUstream stream, long handle) {
        this.stream = stream;
        this.handle = handle;
    }

    /** A new non-blocking stream on the current context. */
    static CudaStream createNonBlocking() {
        Handle h = new Handle();
        JCudaDriver.cuStreamCreate(h, CUstream_flags.CU_STREAM_NON_BLOCKING);
        return new CudaStream(h, h.address());
    }

    /** The legacy default stream (handle 0), for a provider probed outside a backend. */
    static CudaStream legacyDefault() {
        return new CudaStream(new CUstream(), 0);
    }

    /** A stand-in with a made-up handle and no driver object, for the host fakes of the tests. */
    static CudaStream fake(long handle) {
        return new CudaStream(null, handle);
    }

    /** The stream for JCuda's driver API (cuLaunchKernel, cuMemcpyDtoHAsync, ...). */
    public CUstream cuStream() {
        if (stream == null) {
            throw new IllegalStateException("stream 0x" + Long.toHexString(handle) + " is a host fake");
        }
        return stream;
    }

    /** The raw CUstream / cudaStream_t value, for other bindings (javacpp's CUstream_st address). */
    public long handle() {
        return handle;
    }

    /** Destroys the stream (after the work on it is done). */
    void destroy() {
        if (stream != null) {
            JCudaDriver.cuStreamDestroy(stream);
        }
    }

    @Override
    public String toString() {
        return "stream 0x" + Long.toHexString(handle);
    }

    /** A CUstream whose raw value can be read (JCuda keeps it protected). */
    private static final class Handle extends CUstream {
        long address() {
            return getNativePointer();
        }
    }
}
