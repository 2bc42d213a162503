package org.convnet4j.backend.cpu;

import org.convnet4j.backend.AbstractBackend;
import org.convnet4j.backend.ActivationOps;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ConvolutionOps;
import org.convnet4j.backend.DenseOps;
import org.convnet4j.backend.DropoutOps;
import org.convnet4j.backend.MemoryOps;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.MergeOps;
import org.convnet4j.backend.NormalizationOps;
import org.convnet4j.backend.OpChecks;
import org.convnet4j.backend.OptimizersOps;
import org.convnet4j.backend.PoolingOps;
import org.convnet4j.backend.SingleThreadGuard;
import org.convnet4j.backend.SoftmaxLossOps;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The plain-Java backend: every {@link Backend} op on {@link CpuTensor}s in host memory, multithreaded,
 * and the oracle every CUDA kernel is tested against.
 *
 * <p>Work is split over a fixed number of threads by output elements (images, channels, rows), never
 * by a reduction index, and every sum runs in a fixed order, so results are bit-identical from run to
 * run and for any thread count. Convolution is im2col + {@link CpuGemm} (Caffe layout, one image per
 * task); column buffers and GEMM packing buffers are workspaces kept and reused across calls, counted
 * in {@link #memoryStats()}. Like a CUDA stream, a backend runs one op at a time: call it from one
 * thread at a time (its workspaces are shared between calls); a call from a second thread while one is in
 * flight throws IllegalStateException naming both threads ({@link SingleThreadGuard}).
 *
 * <p>{@link AbstractBackend} claims the backend, checks each op's arguments ({@link OpChecks}) and calls the
 * object of the op's family this backend hands it (CpuConvolution, CpuPooling, CpuMerge, CpuDense,
 * CpuActivation, CpuSoftmaxLoss, CpuDropout, CpuNormalization, CpuOptimizers, CpuMemory), which computes.
 * NaN follows the {@link Backend} rule (PyTorch's). Choices where the interface leaves room: softmax loss is
 * computed as the log-sum-exp in double, so logits of +-1000 give a finite loss; batch norm sums in
 * double; label and switch values are checked (an out-of-range one is IllegalArgumentException).
 */
public final class CpuBackend extends AbstractBackend {
    private final CpuThreads threads;
    private final MemoryCounter memory = new MemoryCounter();
    private final CpuGemm gemm;
    private final CpuWorkspaces workspaces;
    private final CpuMemory memoryOps = new CpuMemory();
    private final CpuDense dense;
    private final CpuConvolution convolution;
    private final CpuPooling pooling;
    private final CpuMerge merge;
    private final CpuActivation activation;
    private final CpuSoftmaxLoss softmaxLoss = new CpuSoftmaxLoss();
    private final CpuDropout dropout;
    private final CpuNormalization normalization;
    private final CpuOptimizers optimizers;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend splitting work over {@code threads} threads (1 runs everything on the caller). */
    public CpuBackend(int threads) {
        this.threads = new CpuThreads(threads);
        this.gemm = new CpuGemm(this.threads, memory);
        this.workspaces = new CpuWorkspaces(threads, memory);
        CpuContext context = new CpuContext(this.threads, gemm, workspaces);
        this.dense = new CpuDense(context);
        this.convolution = new CpuConvolution(context);
        this.pooling = new CpuPooling(context);
        this.merge = new CpuMerge(context);
        this.activation = new CpuActivation(context);
        this.dropout = new CpuDropout(context);
        this.normalization = new CpuNormalization(context);
        this.optimizers = new CpuOptimizers(context);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "cpu: plain Java, " + threads.threads() + " thread" + (threads.threads() == 1 ? "" : "s")
                + ", im2col + " + (gemm.implementation() == CpuGemm.Implementation.BLAS ? "native BLAS SGEMM"
                : "blocked SGEMM");
    }

    /** Number of threads ops are split over. */
    public int threads() {
        return threads.threads();
    }

    @Override
    protected boolean owns(Tensor t) {
        return t instanceof CpuTensor ct && ct.owner() == this;
    }

    @Override
    protected boolean usable(Tensor t) {
        return ((CpuTensor) t).isUsable();
    }

    // ================================================================ memory

    @Override
    protected MemoryOps memory() {
        return memoryOps;
    }

    @Override
    protected Tensor computeAllocate(Shape shape, DataType dataType) {
        CpuTensor t = new CpuTensor(this, shape, dataType);
        memory.allocated(t.ownedBytes());
        return t;
    }

    /** Called once when a root tensor closes. */
    void released(CpuTensor t) {
        memory.freed(t.ownedBytes());
    }

    /** Nothing to wait for: every op has finished when it returns. */
    @Override
    protected void computeSynchronize() {
    }

    @Override
    public MemoryStats memoryStats() {
        return memory.snapshot();
    }

    // ================================================================ dense

    @Override
    protected DenseOps dense() {
        return dense;
    }

    // ================================================================ convolution

    @Override
    protected ConvolutionOps convolution() {
        return convolution;
    }

    // ================================================================ pooling

    @Override
    protected PoolingOps pooling() {
        return pooling;
    }

    // ================================================================ merge

    @Override
    protected MergeOps merge() {
        return merge;
    }

    // ================================================================ activation

    @Override
    protected ActivationOps activation() {
        return activation;
    }

    // ================================================================ softmax loss

    @Override
    protected SoftmaxLossOps softmaxLoss() {
        return softmaxLoss;
    }

    // ================================================================ dropout

    @Override
    protected DropoutOps dropout() {
        return dropout;
    }

    // ================================================================ normalization

    @Override
    protected NormalizationOps normalization() {
        return normalization;
    }

    // ================================================================ optimizers

    @Override
    protected OptimizersOps optimizers() {
        return optimizers;
    }

    // ================================================================ lifecycle

    @Override
    protected void release() {
        workspaces.close();
        gemm.close();
        threads.close();
    }

    @Override
    public String toString() {
        return description();
    }
}
