package org.convnet4j.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;
import static org.convnet4j.backend.cuda.Cudnn.check;
import static org.convnet4j.backend.cuda.Cudnn.tensorDescriptor;
import static org.convnet4j.backend.cuda.Cudnn.workspaceAt;

import java.util.Locale;

import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The convolution family's cuDNN baseline: one convolution's descriptors, its chosen algorithms and their
 * workspaces. Cross-correlation descriptors with FLOOR output sizes (cuDNN's) and math type
 * {@code CUDNN_FMA_MATH} (no TF32 tensor cores, so cuDNN computes in full float32 like our kernels);
 * {@link #prepare} runs cudnnFindConvolution{Forward,BackwardData,BackwardFilter}Algorithm once (cuDNN
 * times every algorithm itself), keeps the fastest one that succeeded, and allocates the workspace it asks
 * for from the backend's pool; each later call runs that algorithm.
 */
public final class CudnnConvolution implements AutoCloseable {
    /** The algorithm {@link #prepare} chose for a pass. */
    public record Algorithm(String pass, int id, String name, long workspaceBytes, float findMs) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: algo %d (%s), workspace %d bytes, %.3f ms in cudnnFind", pass, id,
                    name, workspaceBytes, findMs);
        }
    }

    private static final String[] FWD_NAMES = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT",
            "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
    private static final String[] BWD_DATA_NAMES = {"ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD",
            "WINOGRAD_NONFUSED"};
    private static final String[] BWD_FILTER_NAMES = {"ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD",
            "WINOGRAD_NONFUSED", "FFT_TILING"};

    private final Cudnn cudnn;
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

    /**
     * Descriptors of a convolution x [N,C,H,W] * w [FN,C/groups,FH,FW] -> y, on cudnn's device; the spec's groups
     * go to cudnnSetConvolutionGroupCount.
     */
    public CudnnConvolution(Cudnn cudnn, Shape x, Shape w, ConvSpec spec) {
        cudnn.begin();
        this.cudnn = cudnn;
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
        check(cudnnSetConvolutionGroupCount(convDesc, spec.groups()), "cudnnSetConvolutionGroupCount");
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
        cudnn.begin();
        switch (pass) {
            case "fwd" -> {
                if (fwd == null) {
                    fwd = findForward();
                    fwdWorkspace = workspace(fwd, pass);
                }
                return fwd;
            }
            case "bwd_data" -> {
                if (bwdData == null) {
                    bwdData = findBackwardData();
                    bwdDataWorkspace = workspace(bwdData, pass);
                }
                return bwdData;
            }
            case "bwd_filter" -> {
                if (bwdFilter == null) {
                    bwdFilter = findBackwardFilter();
                    bwdFilterWorkspace = workspace(bwdFilter, pass);
                }
                return bwdFilter;
            }
            default -> throw new IllegalArgumentException("cudnn convolution: pass must be fwd, bwd_data or "
                    + "bwd_filter, got '" + pass + "'");
        }
    }

    /** The fastest forward algorithm that succeeded, or null. */
    private Algorithm findForward() {
        int count = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
        int[] returned = new int[1];
        try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(count)) {
            check(cudnnFindConvolutionForwardAlgorithm(cudnn.handle(), xDesc, wDesc, convDesc, yDesc, count, returned,
                    perf), "cudnnFindConvolutionForwardAlgorithm");
            for (int i = 0; i < returned[0]; i++) {
                cudnnConvolutionFwdAlgoPerf_t p = perf.getPointer(i);
                if (p.status() == CUDNN_STATUS_SUCCESS) {
                    return new Algorithm("fwd", p.algo(), algoName(FWD_NAMES, p.algo()), p.memory(), p.time());
                }
            }
        }
        return null;
    }

    /** The fastest backward-data algorithm that succeeded, or null. */
    private Algorithm findBackwardData() {
        int count = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
        int[] returned = new int[1];
        try (cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(count)) {
            check(cudnnFindConvolutionBackwardDataAlgorithm(cudnn.handle(), wDesc, yDesc, convDesc, xDesc, count,
                    returned, perf), "cudnnFindConvolutionBackwardDataAlgorithm");
            for (int i = 0; i < returned[0]; i++) {
                cudnnConvolutionBwdDataAlgoPerf_t p = perf.getPointer(i);
                if (p.status() == CUDNN_STATUS_SUCCESS) {
                    return new Algorithm("bwd_data", p.algo(), algoName(BWD_DATA_NAMES, p.algo()), p.memory(),
                            p.time());
                }
            }
        }
        return null;
    }

    /** The fastest backward-filter algorithm that succeeded, or null. */
    private Algorithm findBackwardFilter() {
        int count = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
        int[] returned = new int[1];
        try (cudnnConvolutionBwdFilterAlgoPerf_t perf = new cudnnConvolutionBwdFilterAlgoPerf_t(count)) {
            check(cudnnFindConvolutionBackwardFilterAlgorithm(cudnn.handle(), xDesc, yDesc, convDesc, wDesc, count,
                    returned, perf), "cudnnFindConvolutionBackwardFilterAlgorithm");
            for (int i = 0; i < returned[0]; i++) {
                cudnnConvolutionBwdFilterAlgoPerf_t p = perf.getPointer(i);
                if (p.status() == CUDNN_STATUS_SUCCESS) {
                    return new Algorithm("bwd_filter", p.algo(), algoName(BWD_FILTER_NAMES, p.algo()), p.memory(),
                            p.time());
                }
            }
        }
        return null;
    }

    private Tensor workspace(Algorithm a, String pass) {
        if (a == null) {
            throw new IllegalStateException("cudnn convolution " + pass + ": no algorithm succeeded for x " + xShape
                    + ", w " + wShape);
        }
        return a.workspaceBytes() == 0 ? null : cudnn.allocate(Shape.of((int) ((a.workspaceBytes() + 3) / 4)));
    }

    /** y = conv(x, w) (overwritten), with the algorithm prepare("fwd") chose. */
    public void forward(Tensor x, Tensor w, Tensor y) {
        cudnn.begin();
        Algorithm a = chosen(fwd, "fwd");
        check(cudnnConvolutionForward(cudnn.handle(), cudnn.one(), xDesc, cudnn.at(x, xShape, "x"), wDesc,
                cudnn.at(w, wShape, "w"), convDesc, a.id(), workspaceAt(fwdWorkspace), a.workspaceBytes(),
                cudnn.zero(), yDesc, cudnn.at(y, yShape, "y")), "cudnnConvolutionForward");
    }

    /** dx = the data gradient of dy (overwritten), with the algorithm prepare("bwd_data") chose. */
    public void backwardData(Tensor dy, Tensor w, Tensor dx) {
        cudnn.begin();
        Algorithm a = chosen(bwdData, "bwd_data");
        check(cudnnConvolutionBackwardData(cudnn.handle(), cudnn.one(), wDesc, cudnn.at(w, wShape, "w"), yDesc,
                cudnn.at(dy, yShape, "dy"), convDesc, a.id(), workspaceAt(bwdDataWorkspace), a.workspaceBytes(),
                cudnn.zero(), xDesc, cudnn.at(dx, xShape, "dx")), "cudnnConvolutionBackwardData");
    }

    /** dw += the filter gradient (accumulates, like ours), with the algorithm prepare("bwd_filter") chose. */
    public void backwardFilter(Tensor x, Tensor dy, Tensor dw) {
        cudnn.begin();
        Algorithm a = chosen(bwdFilter, "bwd_filter");
        check(cudnnConvolutionBackwardFilter(cudnn.handle(), cudnn.one(), xDesc, cudnn.at(x, xShape, "x"), yDesc,
                cudnn.at(dy, yShape, "dy"), convDesc, a.id(), workspaceAt(bwdFilterWorkspace), a.workspaceBytes(),
                cudnn.one(), wDesc, cudnn.at(dw, wShape, "dw")), "cudnnConvolutionBackwardFilter");
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

    private static String algoName(String[] names, int id) {
        return id >= 0 && id < names.length ? names[id] : "algo " + id;
    }
}
