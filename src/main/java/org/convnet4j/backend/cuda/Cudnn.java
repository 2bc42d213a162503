package org.convnet4j.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroy;
import static org.bytedeco.cuda.global.cudnn.cudnnGetErrorString;
import static org.bytedeco.cuda.global.cudnn.cudnnGetVersion;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensor4dDescriptor;

import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * cuDNN 9 (through org.bytedeco:cuda) on the device memory of a {@link CudaBackend}'s tensors: the
 * baseline the benchmarks compare our kernels with, on the same card, in the same JVM, on the backend's
 * stream ({@link CudaBackend#stream()}). Float32 NCHW throughout. This class holds what the per-family
 * baselines share (the cuDNN handle, the constants 1 and 0, tensor descriptors, device addresses of our
 * tensors, status checks); {@link CudnnConvolution}, {@link CudnnPooling}, {@link CudnnActivation} and
 * {@link CudnnSoftmaxLoss} are the baselines.
 *
 * <p>Calls are asynchronous: synchronize the backend to wait. Every cuDNN status other than success
 * throws IllegalStateException naming the call and cuDNN's message. Each call makes the device's primary
 * context current first, so cuDNN (runtime API) shares it with our kernels.
 */
public final class Cudnn implements AutoCloseable {
    private static CudnnProbe.Result probe;

    private final CudaBackend backend;
    private final CudaContext context;
    private final cudnnContext handle = new cudnnContext();
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private boolean closed;

    private Cudnn(CudaBackend backend, CudaContext context) {
        this.backend = backend;
        this.context = context;
        context.makeCurrent();
        check(cudnnCreate(handle), "cudnnCreate");
        check(org.bytedeco.cuda.global.cudnn.cudnnSetStream(handle, BytedecoAddress.stream(backend.stream())),
                "cudnnSetStream");
    }

    /**
     * Null when cuDNN 9 loads here (org.bytedeco's binding and the system's libcudnn*.so.9), else the reason
     * in one line: {@link CudnnProbe}'s, probed once per JVM.
     */
    public static synchronized String unavailableReason() {
        if (probe == null) {
            probe = CudnnProbe.probe();
        }
        return probe.reason();
    }

    /**
     * cuDNN on the device of backend (device 0, the one {@link CudaBackend#open()} uses).
     *
     * @throws BackendUnavailableException with the reason when cuDNN does not load
     */
    public static Cudnn open(CudaBackend backend) {
        return open(backend, 0);
    }

    /** cuDNN on device ordinal, which must be backend's device. */
    public static Cudnn open(CudaBackend backend, int ordinal) {
        String reason = unavailableReason();
        if (reason != null) {
            throw new BackendUnavailableException(reason);
        }
        CudaContext context = CudaContext.open(ordinal);
        try {
            return new Cudnn(backend, context);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    /** cuDNN's version number, e.g. 91400 for 9.14.0. */
    public long version() {
        return cudnnGetVersion();
    }

    /** Checks this is open and makes the device's context current: first thing of every cuDNN call. */
    void begin() {
        if (closed) {
            throw new IllegalStateException("cudnn used after close");
        }
        context.makeCurrent();
    }

    cudnnContext handle() {
        return handle;
    }

    FloatPointer one() {
        return one;
    }

    FloatPointer zero() {
        return zero;
    }

    /** A tensor of the backend (for a cuDNN workspace). */
    Tensor allocate(Shape shape) {
        return backend.allocate(shape);
    }

    /** A shape of rank 4 as it is, any other [N, ...] as [N, size/N, 1, 1]. */
    private static Shape asNchw(Shape s) {
        return s.rank() == 4 ? s : Shape.of(s.dim(0), s.sizePerItem(), 1, 1);
    }

    /** A float NCHW tensor descriptor of s (see {@link #asNchw}); destroy it with cudnnDestroyTensorDescriptor. */
    static cudnnTensorStruct tensorDescriptor(Shape s) {
        Shape d = asNchw(s);
        cudnnTensorStruct t = new cudnnTensorStruct();
        check(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor");
        check(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.dim(0), d.dim(1), d.dim(2),
                d.dim(3)), "cudnnSetTensor4dDescriptor " + d);
        return t;
    }

    /** The device address of one of our tensors, checked: this backend's, open, as many elements as expected. */
    Pointer at(Tensor t, Shape expected, String what) {
        if (!(t instanceof CudaTensor ct) || ct.owner() != backend) {
            throw new IllegalArgumentException("cudnn: " + what + " " + t + " is not a tensor of this CUDA backend");
        }
        if (t.size() != expected.size()) {
            throw new IllegalArgumentException("cudnn: " + what + " " + t.shape() + " must have the " + expected.size()
                    + " elements of " + expected);
        }
        return new DeviceAddress(ct.address());
    }

    /** The device address of a workspace (null: none, address 0). */
    static Pointer workspaceAt(Tensor workspace) {
        return new DeviceAddress(workspace == null ? 0 : ((CudaTensor) workspace).address());
    }

    /** A javacpp Pointer at a raw device address (javacpp only passes the address through). */
    private static final class DeviceAddress extends Pointer {
        DeviceAddress(long deviceAddress) {
            this.address = deviceAddress;
        }
    }

    static void check(int status, String call) {
        if (status != CUDNN_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + cudnnGetErrorString(status).getString()
                    + " (status " + status + ")");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            context.makeCurrent();
            cudnnDestroy(handle);
            one.close();
            zero.close();
            context.close();
        }
    }
}
