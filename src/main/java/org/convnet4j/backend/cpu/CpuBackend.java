package org.convnet4j.backend.cpu;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.OpChecks;
import org.convnet4j.backend.PoolSpec;
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
 * <p>Each op is one {@link OpChecks} call, which checks its arguments and returns their geometry, and
 * one call into the class of its family (CpuConvolution, CpuPooling, CpuMerge, CpuDense, CpuActivation,
 * CpuSoftmaxLoss, CpuDropout, CpuNormalization, CpuOptimizers, CpuMemory), which computes. NaN follows
 * the {@link Backend} rule (PyTorch's). Choices where the interface leaves room: softmax loss is
 * computed as the log-sum-exp in double, so logits of +-1000 give a finite loss; batch norm sums in
 * double; label and switch values are checked (an out-of-range one is IllegalArgumentException).
 */
@SuppressWarnings("try") // each op claims the backend with try (var call = guard.enter(op)) and never reads call
public final class CpuBackend implements Backend {
    /** Fails at once, naming both threads, when a second thread calls while a call is in flight. */
    private final SingleThreadGuard guard = new SingleThreadGuard("CpuBackend");
    private final CpuThreads threads;
    private final MemoryCounter memory = new MemoryCounter();
    private final CpuGemm gemm;
    private final CpuWorkspaces workspaces;
    private final OpChecks checks;
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
    private volatile boolean closed;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend splitting work over {@code threads} threads (1 runs everything on the caller). */
    public CpuBackend(int threads) {
        this.threads = new CpuThreads(threads);
        this.gemm = new CpuGemm(this.threads, memory);
        this.workspaces = new CpuWorkspaces(threads, memory);
        this.checks = new OpChecks(name(), t -> t instanceof CpuTensor ct && ct.owner() == this,
                t -> ((CpuTensor) t).isUsable(), () -> closed);
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

    // ================================================================ memory

    @Override
    public Tensor allocate(Shape shape, DataType dataType) {
        try (var call = guard.enter("allocate")) {
            checks.allocate(shape, dataType);
            CpuTensor t = new CpuTensor(this, shape, dataType);
            memory.allocated(t.ownedBytes());
            return t;
        }
    }

    /** Called once when a root tensor closes. */
    void released(CpuTensor t) {
        memory.freed(t.ownedBytes());
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        try (var call = guard.enter("upload")) {
            checks.upload(src, dst);
            memoryOps.upload(src, dst);
        }
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        try (var call = guard.enter("upload")) {
            checks.upload(src, dst);
            memoryOps.upload(src, dst);
        }
    }

    @Override
    public void download(Tensor src, float[] dst) {
        try (var call = guard.enter("download")) {
            checks.download(src, dst);
            memoryOps.download(src, dst);
        }
    }

    @Override
    public void download(Tensor src, int[] dst) {
        try (var call = guard.enter("download")) {
            checks.download(src, dst);
            memoryOps.download(src, dst);
        }
    }

    @Override
    public void fill(Tensor t, float value) {
        try (var call = guard.enter("fill")) {
            checks.fill(t, value);
            memoryOps.fill(t, value);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        try (var call = guard.enter("copy")) {
            checks.copy(src, dst);
            memoryOps.copy(src, dst);
        }
    }

    @Override
    public void synchronize() {
        try (var call = guard.enter("synchronize")) {
            checks.synchronize();
        }
    }

    @Override
    public MemoryStats memoryStats() {
        return memory.snapshot();
    }

    // ================================================================ dense

    @Override
    public void gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha, float beta) {
        try (var call = guard.enter("gemm")) {
            dense.gemm(checks.gemm(a, transposeA, b, transposeB, c, alpha, beta), a, transposeA, b, transposeB, c, alpha,
                    beta);
        }
    }

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        try (var call = guard.enter("linearForward")) {
            dense.linearForward(checks.linearForward(x, w, bias, y), x, w, bias, y);
        }
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        try (var call = guard.enter("linearBackward")) {
            dense.linearBackward(checks.linearBackward(x, w, dy, dx, dw, dbias), x, w, dy, dx, dw, dbias);
        }
    }

    @Override
    public void addBias(Tensor y, Tensor bias) {
        try (var call = guard.enter("addBias")) {
            dense.addBias(checks.addBias(y, bias), y, bias);
        }
    }

    @Override
    public void biasGradient(Tensor dy, Tensor dbias) {
        try (var call = guard.enter("biasGradient")) {
            dense.biasGradient(checks.biasGradient(dy, dbias), dy, dbias);
        }
    }

    // ================================================================ convolution

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
        try (var call = guard.enter("conv2dForward")) {
            convolution.conv2dForward(checks.conv2dForward(x, w, bias, spec, y), x, w, bias, y);
        }
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
        try (var call = guard.enter("conv2dBackwardData")) {
            convolution.conv2dBackwardData(checks.conv2dBackwardData(dy, w, spec, dx), dy, w, dx);
        }
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias) {
        try (var call = guard.enter("conv2dBackwardFilter")) {
            convolution.conv2dBackwardFilter(checks.conv2dBackwardFilter(x, dy, spec, dw, dbias), x, dy, dw, dbias);
        }
    }

    // ================================================================ pooling

    @Override
    public void maxPoolForward(Tensor x, PoolSpec spec, Tensor y, Tensor switches) {
        try (var call = guard.enter("maxPoolForward")) {
            pooling.maxPoolForward(checks.pooling().maxPoolForward(x, spec, y, switches), x, y, switches);
        }
    }

    @Override
    public void maxPoolBackward(Tensor dy, Tensor switches, PoolSpec spec, Tensor dx) {
        try (var call = guard.enter("maxPoolBackward")) {
            pooling.maxPoolBackward(checks.pooling().maxPoolBackward(dy, switches, spec, dx), dy, switches, dx);
        }
    }

    @Override
    public void avgPoolForward(Tensor x, PoolSpec spec, Tensor y) {
        try (var call = guard.enter("avgPoolForward")) {
            pooling.avgPoolForward(checks.pooling().avgPoolForward(x, spec, y), x, y);
        }
    }

    @Override
    public void avgPoolBackward(Tensor dy, PoolSpec spec, Tensor dx) {
        try (var call = guard.enter("avgPoolBackward")) {
            pooling.avgPoolBackward(checks.pooling().avgPoolBackward(dy, spec, dx), dy, dx);
        }
    }

    @Override
    public void globalAvgPoolForward(Tensor x, Tensor y) {
        try (var call = guard.enter("globalAvgPoolForward")) {
            pooling.globalAvgPoolForward(checks.pooling().globalAvgPoolForward(x, y), x, y);
        }
    }

    @Override
    public void globalAvgPoolBackward(Tensor dy, Tensor dx) {
        try (var call = guard.enter("globalAvgPoolBackward")) {
            pooling.globalAvgPoolBackward(checks.pooling().globalAvgPoolBackward(dy, dx), dy, dx);
        }
    }

    // ================================================================ merge

    @Override
    public void add(Tensor a, Tensor b, Tensor y) {
        try (var call = guard.enter("add")) {
            checks.merge().add(a, b, y);
            merge.add(a, b, y);
        }
    }

    @Override
    public void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int channels) {
        try (var call = guard.enter("copyChannels")) {
            merge.copyChannels(checks.merge().copyChannels(src, srcChannel, dst, dstChannel, channels), src, dst);
        }
    }

    // ================================================================ activation

    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        try (var call = guard.enter("activationForward")) {
            checks.activationForward(f, x, y);
            activation.activationForward(f, x, y);
        }
    }

    @Override
    public void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        try (var call = guard.enter("activationBackward")) {
            checks.activationBackward(f, y, dy, dx);
            activation.activationBackward(f, y, dy, dx);
        }
    }

    // ================================================================ softmax loss

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        try (var call = guard.enter("softmaxCrossEntropyForward")) {
            softmaxLoss.softmaxCrossEntropyForward(checks.softmaxCrossEntropyForward(logits, labels, probs, loss),
                    logits, labels, probs, loss);
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits) {
        try (var call = guard.enter("softmaxCrossEntropyBackward")) {
            softmaxLoss.softmaxCrossEntropyBackward(checks.softmaxCrossEntropyBackward(probs, labels, dlogits),
                    probs, labels, dlogits);
        }
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        try (var call = guard.enter("argmax")) {
            softmaxLoss.argmax(checks.argmax(x, out), x, out);
        }
    }

    // ================================================================ dropout

    @Override
    public void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        try (var call = guard.enter("dropoutForward")) {
            checks.dropoutForward(x, p, seed, mask, y);
            dropout.dropoutForward(x, p, seed, mask, y);
        }
    }

    @Override
    public void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        try (var call = guard.enter("dropoutBackward")) {
            checks.dropoutBackward(dy, mask, dx);
            dropout.dropoutBackward(dy, mask, dx);
        }
    }

    // ================================================================ normalization

    @Override
    public void lrnForward(Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        try (var call = guard.enter("lrnForward")) {
            normalization.lrnForward(checks.lrnForward(x, spec, scale, y), x, spec, scale, y);
        }
    }

    @Override
    public void lrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        try (var call = guard.enter("lrnBackward")) {
            normalization.lrnBackward(checks.lrnBackward(x, y, scale, dy, spec, dx), x, y, scale, dy, spec, dx);
        }
    }

    @Override
    public void batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                         Tensor runningMean, Tensor runningVar, Tensor saveMean,
                                         Tensor saveInvStd, Tensor y) {
        try (var call = guard.enter("batchNormForwardTraining")) {
            normalization.batchNormForwardTraining(checks.batchNormForwardTraining(x, gamma, beta, momentum, eps,
                            runningMean, runningVar, saveMean, saveInvStd, y),
                    x, gamma, beta, momentum, eps, runningMean, runningVar, saveMean, saveInvStd, y);
        }
    }

    @Override
    public void batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                          Tensor runningVar, float eps, Tensor y) {
        try (var call = guard.enter("batchNormForwardInference")) {
            normalization.batchNormForwardInference(checks.batchNormForwardInference(x, gamma, beta, runningMean,
                    runningVar, eps, y), x, gamma, beta, runningMean, runningVar, eps, y);
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        try (var call = guard.enter("batchNormBackward")) {
            normalization.batchNormBackward(checks.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma,
                    dbeta), x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        }
    }

    // ================================================================ optimizers

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        try (var call = guard.enter("sgdUpdate")) {
            checks.sgdUpdate(param, grad, lr, weightDecay);
            optimizers.sgdUpdate(param, grad, lr, weightDecay);
        }
    }

    @Override
    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                               float weightDecay, boolean nesterov) {
        try (var call = guard.enter("momentumUpdate")) {
            checks.momentumUpdate(param, grad, velocity, lr, momentum, weightDecay, nesterov);
            optimizers.momentumUpdate(param, grad, velocity, lr, momentum, weightDecay, nesterov);
        }
    }

    @Override
    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        try (var call = guard.enter("adagradUpdate")) {
            checks.adagradUpdate(param, grad, sumSquares, lr, eps, weightDecay);
            optimizers.adagradUpdate(param, grad, sumSquares, lr, eps, weightDecay);
        }
    }

    @Override
    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        try (var call = guard.enter("rmspropUpdate")) {
            checks.rmspropUpdate(param, grad, meanSquare, lr, decay, eps, weightDecay);
            optimizers.rmspropUpdate(param, grad, meanSquare, lr, decay, eps, weightDecay);
        }
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        try (var call = guard.enter("adamUpdate")) {
            checks.adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
            optimizers.adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
        }
    }

    // ================================================================ lifecycle

    @Override
    public void close() {
        try (var call = guard.enter("close")) {
            if (closed) {
                return;
            }
            closed = true;
            workspaces.close();
            gemm.close();
            threads.close();
        }
    }

    @Override
    public String toString() {
        return description();
    }
}
