package org.convnet4j.backend.cuda;

/** A kernel launch, or the work it started, failed; the message names the kernel, its grid and its tensors. */
public class CudaKernelException extends RuntimeException {
    public CudaKernelException(String message, Throwable cause) {
        super(message, cause);
    }
}
