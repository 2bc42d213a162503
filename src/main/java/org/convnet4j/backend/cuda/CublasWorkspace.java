package org.convnet4j.backend.cuda;

import jcuda.driver.JCudaDriver;

/**
 * A fixed workspace for a cuBLAS handle (cublasSetWorkspace), taken from the driver once: with it cuBLAS
 * allocates nothing per call, which a call captured into a CUDA graph requires. 32 MiB, the size NVIDIA
 * recommends for Hopper (4 MiB would do on earlier GPUs).
 */
final class CublasWorkspace implements AutoCloseable {
    static final long BYTES = 32L << 20;

    private final DevicePtr pointer = new DevicePtr();
    private boolean closed;

    /** Allocates the workspace in the current context. */
    CublasWorkspace() {
        JCudaDriver.cuMemAlloc(pointer, BYTES);
    }

    long address() {
        return pointer.address();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            JCudaDriver.cuMemFree(pointer);
        }
    }
}
