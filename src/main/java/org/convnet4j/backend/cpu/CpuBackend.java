package org.convnet4j.backend.cpu;

import org.convnet4j.backend.AbstractBackend;
import org.convnet4j.backend.Activation;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ChannelCopyGeometry;
import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.GemmGeometry;
import org.convnet4j.backend.LinearGeometry;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.NormalizationOps;
import org.convnet4j.backend.OpChecks;
import org.convnet4j.backend.OptimizersOps;
import org.convnet4j.backend.PoolingOps;
import org.convnet4j.backend.RowGeometry;
import org.convnet4j.backend.SingleThreadGuard;
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
 * <p>{@link AbstractBackend} claims the backend and checks each op's arguments ({@link OpChecks}); each
 * compute hook here is one call into the class of its family (CpuConvolution, CpuPooling, CpuMerge,
 * CpuDense, CpuActivation, CpuSoftmaxLoss, CpuDropout, CpuNormalization, CpuOptimizers, CpuMemory), which
 * computes. NaN follows
 * the {@link Backend} rule (PyTorch's). Choices where the interface leaves room: softmax loss is
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
    protected Tensor computeAllocate(Shape shape, DataType dataType) {
        CpuTensor t = new CpuTensor(this, shape, dataType);
        memory.allocated(t.ownedBytes());
        return t;
    }

    /** Called once when a root tensor closes. */
    void released(CpuTensor t) {
        memory.freed(t.ownedBytes());
    }

    @Override
    protected void computeUpload(float[] src, Tensor dst) {
        memoryOps.upload(src, dst);
    }

    @Override
    protected void computeUpload(int[] src, Tensor dst) {
        memoryOps.upload(src, dst);
    }

    @Override
    protected void computeDownload(Tensor src, float[] dst) {
        memoryOps.download(src, dst);
    }

    @Override
    protected void computeDownload(Tensor src, int[] dst) {
        memoryOps.download(src, dst);
    }

    @Override
    protected void computeFill(Tensor t, float value) {
        memoryOps.fill(t, value);
    }

    @Override
    protected void computeCopy(Tensor src, Tensor dst) {
        memoryOps.copy(src, dst);
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
    protected void computeGemm(GemmGeometry g, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c,
                               float alpha, float beta) {
        dense.gemm(g, a, transposeA, b, transposeB, c, alpha, beta);
    }

    @Override
    protected void computeLinearForward(LinearGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        dense.linearForward(g, x, w, bias, y);
    }

    @Override
    protected void computeLinearBackward(LinearGeometry g, Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw,
                                         Tensor dbias) {
        dense.linearBackward(g, x, w, dy, dx, dw, dbias);
    }

    @Override
    protected void computeAddBias(ChannelGeometry g, Tensor y, Tensor bias) {
        dense.addBias(g, y, bias);
    }

    @Override
    protected void computeBiasGradient(ChannelGeometry g, Tensor dy, Tensor dbias) {
        dense.biasGradient(g, dy, dbias);
    }

    // ================================================================ convolution

    @Override
    protected void computeConv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        convolution.conv2dForward(g, x, w, bias, y);
    }

    @Override
    protected void computeConv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        convolution.conv2dBackwardData(g, dy, w, dx);
    }

    @Override
    protected void computeConv2dBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        convolution.conv2dBackwardFilter(g, x, dy, dw, dbias);
    }

    // ================================================================ pooling

    @Override
    protected PoolingOps pooling() {
        return pooling;
    }

    // ================================================================ merge

    @Override
    protected void computeAdd(Tensor a, Tensor b, Tensor y) {
        merge.add(a, b, y);
    }

    @Override
    protected void computeCopyChannels(ChannelCopyGeometry g, Tensor src, Tensor dst) {
        merge.copyChannels(g, src, dst);
    }

    // ================================================================ activation

    @Override
    protected void computeActivationForward(Activation f, Tensor x, Tensor y) {
        activation.activationForward(f, x, y);
    }

    @Override
    protected void computeActivationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        activation.activationBackward(f, y, dy, dx);
    }

    // ================================================================ softmax loss

    @Override
    protected void computeSoftmaxCrossEntropyForward(RowGeometry g, Tensor logits, Tensor labels, Tensor probs,
                                                     Tensor loss) {
        softmaxLoss.softmaxCrossEntropyForward(g, logits, labels, probs, loss);
    }

    @Override
    protected void computeSoftmaxCrossEntropyBackward(RowGeometry g, Tensor probs, Tensor labels, Tensor dlogits) {
        softmaxLoss.softmaxCrossEntropyBackward(g, probs, labels, dlogits);
    }

    @Override
    protected void computeArgmax(RowGeometry g, Tensor x, Tensor out) {
        softmaxLoss.argmax(g, x, out);
    }

    // ================================================================ dropout

    @Override
    protected void computeDropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        dropout.dropoutForward(x, p, seed, mask, y);
    }

    @Override
    protected void computeDropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        dropout.dropoutBackward(dy, mask, dx);
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
