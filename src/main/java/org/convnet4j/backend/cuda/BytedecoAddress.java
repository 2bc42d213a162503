package org.convnet4j.backend.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

/**
 * A javacpp Pointer to a raw address (device memory, or a stream handle) for the org.bytedeco bindings
 * (cuBLAS 13, cuDNN 9); it owns and frees nothing.
 */
final class BytedecoAddress extends Pointer {
    BytedecoAddress(long address) {
        this.address = address;
    }

    /** The backend's stream as javacpp's CUstream_st, for cublasSetStream_v2 and cudnnSetStream. */
    static CUstream_st stream(CudaStream stream) {
        return new CUstream_st(new BytedecoAddress(stream.handle()));
    }
}
