package org.convnet4j.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;

import java.util.Locale;

import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * cuDNN 9 (through org.bytedeco:cuda) on the device memory of a {@link CudaBackend}'s tensors: the baseline
 * the benchmarks compare our kernels with, on the same card, in the same JVM, on the same (legacy default)
 * stream. Float32 NCHW throughout.
 *
 * <p>Convolution: cross-correlation descriptors with math type {@code CUDNN_FMA_MATH} (no TF32 tensor
 * cores, so cuDNN computes in full float32 like our kernels); {@link Convolution#prepare} runs
 * cudnnFindConvolution{Forward,BackwardData,BackwardFilter}Algorithm once (cuDNN times every algorithm
 * itself), keeps the fastest one that succeeded, and allocates the workspace it asks for from the
 * backend's pool; each later call runs that algorithm. Pooling: {@code CUDNN_POOLING_MAX}; activation:
 * {@code CUDNN_ACTIVATION_RELU}; softmax: {@code CUDNN_SOFTMAX_ACCURATE} per instance (cuDNN has no
 * fused cross-entropy).
 *
 * <p>Calls are asynchronous: synchronize the backend to wait. Every cuDNN status other than success
 * throws IllegalStateException naming the call and cuDNN's message. Each call makes the device's primary
 * context current first, so cuDNN (runtime API) shares it with our kernels.
 */
public final class CudnnOps implements AutoCloseable {
    private static CudnnProbe.Result probe;

    private final CudaBackend backend;
    private final CudaContext context;
    private final cudnnContext handle = new cudnnContext();
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private boolean closed;

    private CudnnOps(CudaBackend backend, CudaContext context) {
        this.backend = backend;
        this.context = context;
        context.makeCurrent();
        check(cudnnCreate(handle), "cudnnCreate");
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
    public static CudnnOps open(CudaBackend backend) {
        return open(backend, 0);
    }

    /** cuDNN on device ordinal, which must be backend's device. */
    public static CudnnOps open(CudaBackend backend, int ordinal) {
        String reason = unavailableReason();
        if (reason != null) {
            throw new BackendUnavailableException(reason);
        }
        CudaContext context = CudaContext.open(ordinal);
        try {
            return new CudnnOps(backend, context);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    /** cuDNN's version number, e.g. 91400 for 9.14.0. */
    public long version() {
        return cudnnGetVersion();
    }

    // ---------------------------------------------------------------- convolution

    /** The algorithm {@link Convolution#prepare} chose for a pass. */
    public record Algorithm(String pass, int id, String name, long workspaceBytes, float findMs) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: algo %d (%s), workspace %d bytes, %.3f ms in cudnnFind", pass, id,
                    name, workspaceBytes, findMs);
        }
    }

    /** Descriptors of a convolution x [N,C,H,W] * w [FN,C,FH,FW] -> y, with FLOOR output sizes (cuDNN's). */
    public Convolution convolution(Shape x, Shape w, ConvSpec spec) {
        begin();
        return new Convolution(x, w, spec);
    }

    /** One convolution's descriptors, its chosen algorithms and their workspaces. */
    public final class Convolution implements AutoCloseable {
        private final Shape xShape;
        private final Shape wShape;
        private final Shape yShape;
        private final cudnnTensorStruct xDesc;
        private final cudnnTensorStruct yDesc;
        private final cudnnFilterStruct wDesc = new cudnnFilterStruct();
        private final cudnnConvolutionStruct convDesc = new cudnnConvolutionStruct();
        private Algorithm fwd;
        private Algorithm bwdData;
        private Algorithm bwdFilter;
        private Tensor fwdWorkspace;
        private Tensor bwdDataWorkspace;
        private Tensor bwdFilterWorkspace;

        private Convolution(Shape x, Shape w, ConvSpec spec) {
            if (spec.dilationH() != 1 || spec.dilationW() != 1) {
                // supported by cuDNN too; the benchmarks have none, so keep the descriptors simple
                throw new IllegalArgumentException("cudnn convolution: dilation is not benchmarked, got " + spec);
            }
            this.xShape = x;
            this.wShape = w;
            this.yShape = spec.withRounding(OutputRounding.FLOOR)
                    .outputShape("cudnn convolution", x, w);
            this.xDesc = tensorDescriptor(x);
            this.yDesc = tensorDescriptor(yShape);
            check(cudnnCreateFilterDescriptor(wDesc), "cudnnCreateFilterDescriptor");
            check(cudnnSetFilter4dDescriptor(wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, w.dim(0), w.dim(1), w.dim(2),
                    w.dim(3)), "cudnnSetFilter4dDescriptor");
            check(cudnnCreateConvolutionDescriptor(convDesc), "cudnnCreateConvolutionDescriptor");
            check(cudnnSetConvolution2dDescriptor(convDesc, spec.padH(), spec.padW(), spec.strideH(), spec.strideW(), 1,
                    1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "cudnnSetConvolution2dDescriptor");
            check(cudnnSetConvolutionMathType(convDesc, CUDNN_FMA_MATH), "cudnnSetConvolutionMathType(FMA)");
            int[] n = new int[1];
            int[] c = new int[1];
            int[] h = new int[1];
            int[] ww = new int[1];
            check(cudnnGetConvolution2dForwardOutputDim(convDesc, xDesc, wDesc, n, c, h, ww),
                    "cudnnGetConvolution2dForwardOutputDim");
            Shape cudnnY = Shape.of(n[0], c[0], h[0], ww[0]);
            if (!cudnnY.equals(yShape)) {
                throw new IllegalStateException("cudnn convolution: cuDNN's output " + cudnnY + " differs from ours "
                        + yShape + " for x " + x + ", w " + w + ", " + spec);
            }
        }

        public Shape outputShape() {
            return yShape;
        }

        /**
         * Finds the fastest algorithm for pass ("fwd", "bwd_data" or "bwd_filter") with cudnnFind*, once, and
         * allocates its workspace; later calls return the same choice.
         */
        public Algorithm prepare(String pass) {
            begin();
            switch (pass) {
                case "fwd" -> {
                    if (fwd == null) {
                        int count = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
                        cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(count);
                        int[] returned = new int[1];
                        check(cudnnFindConvolutionForwardAlgorithm(handle, xDesc, wDesc, convDesc, yDesc, count, returned,
                                perf), "cudnnFindConvolutionForwardAlgorithm");
                        for (int i = 0; i < returned[0] && fwd == null; i++) {
                            cudnnConvolutionFwdAlgoPerf_t p = perf.getPointer(i);
                            if (p.status() == CUDNN_STATUS_SUCCESS) {
                                fwd = new Algorithm(pass, p.algo(), algoName(FWD_NAMES, p.algo()), p.memory(), p.time());
                            }
                        }
                        perf.close();
                        fwdWorkspace = workspace(fwd, pass);
                    }
                    return fwd;
                }
                case "bwd_data" -> {
                    if (bwdData == null) {
                        int count = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
                        cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(count);
                        int[] returned = new int[1];
                        check(cudnnFindConvolutionBackwardDataAlgorithm(handle, wDesc, yDesc, convDesc, xDesc, count,
                                returned, perf), "cudnnFindConvolutionBackwardDataAlgorithm");
                        for (int i = 0; i < returned[0] && bwdData == null; i++) {
                            cudnnConvolutionBwdDataAlgoPerf_t p = perf.getPointer(i);
                            if (p.status() == CUDNN_STATUS_SUCCESS) {
                                bwdData = new Algorithm(pass, p.algo(), algoName(BWD_DATA_NAMES, p.algo()), p.memory(), p.time());
                            }
                        }
                        perf.close();
                        bwdDataWorkspace = workspace(bwdData, pass);
                    }
                    return bwdData;
                }
                case "bwd_filter" -> {
                    if (bwdFilter == null) {
                        int count = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
                        cudnnConvolutionBwdFilterAlgoPerf_t perf = new cudnnConvolutionBwdFilterAlgoPerf_t(count);
                        int[] returned = new int[1];
                        check(cudnnFindConvolutionBackwardFilterAlgorithm(handle, xDesc, yDesc, convDesc, wDesc, count,
                                returned, perf), "cudnnFindConvolutionBackwardFilterAlgorithm");
                        for (int i = 0; i < returned[0] && bwdFilter == null; i++) {
                            cudnnConvolutionBwdFilterAlgoPerf_t p = perf.getPointer(i);
                            if (p.status() == CUDNN_STATUS_SUCCESS) {
                                bwdFilter = new Algorithm(pass, p.algo(), algoName(BWD_FILTER_NAMES, p.algo()), p.memory(),
                                        p.time());
                            }
                        }
                        perf.close();
                        bwdFilterWorkspace = workspace(bwdFilter, pass);
                    }
                    return bwdFilter;
                }
                default -> throw new IllegalArgumentException("cudnn convolution: pass must be fwd, bwd_data or "
                        + "bwd_filter, got '" + pass + "'");
            }
        }

        private Tensor workspace(Algorithm a, String pass) {
            if (a == null) {
                throw new IllegalStateException("cudnn convolution " + pass + ": no algorithm succeeded for x " + xShape
                        + ", w " + wShape);
            }
            return a.workspaceBytes() == 0 ? null : backend.allocate(Shape.of((int) ((a.workspaceBytes() + 3) / 4)));
        }

        /** y = conv(x, w) (overwritten), with the algorithm prepare("fwd") chose. */
        public void forward(Tensor x, Tensor w, Tensor y) {
            begin();
            Algorithm a = chosen(fwd, "fwd");
            check(cudnnConvolutionForward(handle, one, xDesc, at(x, xShape, "x"), wDesc, at(w, wShape, "w"), convDesc,
                    a.id(), at(fwdWorkspace), a.workspaceBytes(), zero, yDesc, at(y, yShape, "y")),
                    "cudnnConvolutionForward");
        }

        /** dx = the data gradient of dy (overwritten), with the algorithm prepare("bwd_data") chose. */
        public void backwardData(Tensor dy, Tensor w, Tensor dx) {
            begin();
            Algorithm a = chosen(bwdData, "bwd_data");
            check(cudnnConvolutionBackwardData(handle, one, wDesc, at(w, wShape, "w"), yDesc, at(dy, yShape, "dy"),
                    convDesc, a.id(), at(bwdDataWorkspace), a.workspaceBytes(), zero, xDesc, at(dx, xShape, "dx")),
                    "cudnnConvolutionBackwardData");
        }

        /** dw += the filter gradient (accumulates, like ours), with the algorithm prepare("bwd_filter") chose. */
        public void backwardFilter(Tensor x, Tensor dy, Tensor dw) {
            begin();
            Algorithm a = chosen(bwdFilter, "bwd_filter");
            check(cudnnConvolutionBackwardFilter(handle, one, xDesc, at(x, xShape, "x"), yDesc, at(dy, yShape, "dy"),
                    convDesc, a.id(), at(bwdFilterWorkspace), a.workspaceBytes(), one, wDesc, at(dw, wShape, "dw")),
                    "cudnnConvolutionBackwardFilter");
        }

        private Algorithm chosen(Algorithm a, String pass) {
            if (a == null) {
                throw new IllegalStateException("cudnn convolution: call prepare(\"" + pass + "\") first");
            }
            return a;
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {fwdWorkspace, bwdDataWorkspace, bwdFilterWorkspace}) {
                if (t != null) {
                    t.close();
                }
            }
            cudnnDestroyTensorDescriptor(xDesc);
            cudnnDestroyTensorDescriptor(yDesc);
            cudnnDestroyFilterDescriptor(wDesc);
            cudnnDestroyConvolutionDescriptor(convDesc);
        }
    }

    private static final String[] FWD_NAMES = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT",
            "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
    private static final String[] BWD_DATA_NAMES = {"ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD",
            "WINOGRAD_NONFUSED"};
    private static final String[] BWD_FILTER_NAMES = {"ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD",
            "WINOGRAD_NONFUSED", "FFT_TILING"};

    private static String algoName(String[] names, int id) {
        return id >= 0 && id < names.length ? names[id] : "algo " + id;
    }

    // ---------------------------------------------------------------- pooling

    /** Max pooling of x [N,C,H,W] (padded positions never win, as ours). */
    public MaxPooling maxPooling(Shape x, PoolSpec spec) {
        begin();
        return new MaxPooling(x, spec);
    }

    /** A max pooling descriptor with its input and output tensor descriptors. */
    public final class MaxPooling implements AutoCloseable {
        private final Shape xShape;
        private final Shape yShape;
        private final cudnnTensorStruct xDesc;
        private final cudnnTensorStruct yDesc;
        private final cudnnPoolingStruct desc = new cudnnPoolingStruct();

        private MaxPooling(Shape x, PoolSpec spec) {
            this.xShape = x;
            this.yShape = spec.withRounding(OutputRounding.FLOOR).outputShape("cudnn pooling", x);
            this.xDesc = tensorDescriptor(x);
            this.yDesc = tensorDescriptor(yShape);
            check(cudnnCreatePoolingDescriptor(desc), "cudnnCreatePoolingDescriptor");
            check(cudnnSetPooling2dDescriptor(desc, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, spec.kernelH(),
                    spec.kernelW(), spec.padH(), spec.padW(), spec.strideH(), spec.strideW()),
                    "cudnnSetPooling2dDescriptor");
        }

        public Shape outputShape() {
            return yShape;
        }

        /** y = the window maxima (overwritten). */
        public void forward(Tensor x, Tensor y) {
            begin();
            check(cudnnPoolingForward(handle, desc, one, xDesc, at(x, xShape, "x"), zero, yDesc, at(y, yShape, "y")),
                    "cudnnPoolingForward");
        }

        /** dx from dy (overwritten); cuDNN finds the maxima again from x and y (it keeps no switches). */
        public void backward(Tensor y, Tensor dy, Tensor x, Tensor dx) {
            begin();
            check(cudnnPoolingBackward(handle, desc, one, yDesc, at(y, yShape, "y"), yDesc, at(dy, yShape, "dy"), xDesc,
                    at(x, xShape, "x"), zero, xDesc, at(dx, xShape, "dx")), "cudnnPoolingBackward");
        }

        @Override
        public void close() {
            cudnnDestroyTensorDescriptor(xDesc);
            cudnnDestroyTensorDescriptor(yDesc);
            cudnnDestroyPoolingDescriptor(desc);
        }
    }

    // ---------------------------------------------------------------- activation, softmax

    /** ReLU on a tensor of this shape (any rank: described as [N, size/N, 1, 1] unless NCHW). */
    public Relu relu(Shape shape) {
        begin();
        return new Relu(shape);
    }

    /** A ReLU activation descriptor and its tensor descriptor. */
    public final class Relu implements AutoCloseable {
        private final Shape shape;
        private final cudnnTensorStruct desc;
        private final cudnnActivationStruct act = new cudnnActivationStruct();

        private Relu(Shape shape) {
            this.shape = shape;
            this.desc = tensorDescriptor(asNchw(shape));
            check(cudnnCreateActivationDescriptor(act), "cudnnCreateActivationDescriptor");
            check(cudnnSetActivationDescriptor(act, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0),
                    "cudnnSetActivationDescriptor");
        }

        /** y = max(x, 0). */
        public void forward(Tensor x, Tensor y) {
            begin();
            check(cudnnActivationForward(handle, act, one, desc, at(x, shape, "x"), zero, desc, at(y, shape, "y")),
                    "cudnnActivationForward");
        }

        /** dx = dy where y &gt; 0, else 0 (cuDNN's API also takes x). */
        public void backward(Tensor y, Tensor dy, Tensor x, Tensor dx) {
            begin();
            check(cudnnActivationBackward(handle, act, one, desc, at(y, shape, "y"), desc, at(dy, shape, "dy"), desc,
                    at(x, shape, "x"), zero, desc, at(dx, shape, "dx")), "cudnnActivationBackward");
        }

        @Override
        public void close() {
            cudnnDestroyTensorDescriptor(desc);
            cudnnDestroyActivationDescriptor(act);
        }
    }

    /** Softmax over the k values of each of n rows (logits [n, k]). */
    public Softmax softmax(int n, int k) {
        begin();
        return new Softmax(n, k);
    }

    /** A softmax's tensor descriptor ([n, k, 1, 1], CUDNN_SOFTMAX_MODE_INSTANCE). */
    public final class Softmax implements AutoCloseable {
        private final Shape shape;
        private final cudnnTensorStruct desc;

        private Softmax(int n, int k) {
            this.shape = Shape.of(n, k);
            this.desc = tensorDescriptor(Shape.of(n, k, 1, 1));
        }

        /** probs = softmax(logits) per row, max-subtracted (CUDNN_SOFTMAX_ACCURATE). */
        public void forward(Tensor logits, Tensor probs) {
            begin();
            check(cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE, one, desc,
                    at(logits, shape, "logits"), zero, desc, at(probs, shape, "probs")), "cudnnSoftmaxForward");
        }

        @Override
        public void close() {
            cudnnDestroyTensorDescriptor(desc);
        }
    }

    // ---------------------------------------------------------------- plumbing

    private static Shape asNchw(Shape s) {
        return s.rank() == 4 ? s : Shape.of(s.dim(0), s.sizePerItem(), 1, 1);
    }

    private cudnnTensorStruct tensorDescriptor(Shape s) {
        Shape d = asNchw(s);
        cudnnTensorStruct t = new cudnnTensorStruct();
        check(cudnnCreateTensorDescriptor(t), "cudnnCreateTensorDescriptor");
        check(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.dim(0), d.dim(1), d.dim(2), d.dim(3)),
                "cudnnSetTensor4dDescriptor " + d);
        return t;
    }

    /** The device address of one of our tensors, checked: this backend's, open, as many elements as expected. */
    private Pointer at(Tensor t, Shape expected, String what) {
        if (!(t instanceof CudaTensor ct) || ct.owner() != backend) {
            throw new IllegalArgumentException("cudnn: " + what + " " + t + " is not a tensor of this CUDA backend");
        }
        if (t.size() != expected.size()) {
            throw new IllegalArgumentException("cudnn: " + what + " " + t.shape() + " must have the " + expected.size()
                    + " elements of " + expected);
        }
        return new DeviceAddress(ct.address());
    }

    private static Pointer at(Tensor workspace) {
        return workspace == null ? new DeviceAddress(0) : new DeviceAddress(((CudaTensor) workspace).address());
    }

    /** A javacpp Pointer at a raw device address (javacpp only passes the address through). */
    private static final class DeviceAddress extends Pointer {
        DeviceAddress(long deviceAddress) {
            this.address = deviceAddress;
        }
    }

    private void begin() {
        if (closed) {
            throw new IllegalStateException("cudnn used after close");
        }
        context.makeCurrent();
    }

    private static void check(int status, String call) {
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
