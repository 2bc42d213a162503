package org.convnet4j.backend;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The seam both backends share: every {@link Backend} op is a final method here that claims the backend
 * for the calling thread ({@link SingleThreadGuard}: a second thread calling while a call is in flight
 * fails at once with IllegalStateException naming both threads, before any argument is looked at), checks
 * its arguments with the shared {@link OpChecks} (so both backends reject exactly the same inputs with the
 * same exception and message), runs {@link #beforeCompute()} and hands the checked arguments, with the
 * geometry the check returned first where there is one, to the object of the op's family, which computes
 * without checking again. A subclass gives the base those objects ({@link #memory()}, {@link #dense()},
 * {@link #convolution()}, ..., each implementing its family's interface: {@link MemoryOps},
 * {@link DenseOps}, ...); allocation and synchronization are compute hooks of their own.
 *
 * <p>The base also keeps the closed state: {@link #close()} runs {@link #release()} once, after which every
 * op fails its check with IllegalStateException.
 */
@SuppressWarnings("try") // each op claims the backend with try (var call = guard.enter(op)) and never reads call
public abstract class AbstractBackend implements Backend {
    /** Fails at once, naming both threads, when a second thread calls while a call is in flight. */
    private final SingleThreadGuard guard;
    private final OpChecks checks;
    private volatile boolean closed;

    /**
     * The guard names the backend by its class's simple name, the checks by {@link #name()}, which is
     * called here, before the subclass's constructor runs: it must return a constant.
     */
    protected AbstractBackend() {
        this.guard = new SingleThreadGuard(getClass().getSimpleName());
        this.checks = new OpChecks(name(), this::owns, this::usable, () -> closed);
    }

    /** Whether t is a tensor of this backend. */
    protected abstract boolean owns(Tensor t);

    /** Whether t, a tensor of this backend, is open and not a view of closed storage. */
    protected abstract boolean usable(Tensor t);

    /** The guard every op claims, for a subclass's own guarded methods. */
    protected final SingleThreadGuard guard() {
        return guard;
    }

    /** The shared checks, for a subclass's own methods. */
    protected final OpChecks checks() {
        return checks;
    }

    /**
     * Runs after an op's checks, before the family object an accessor ({@link #pooling()}, ...) returns
     * computes it: a backend's per-call set-up (nothing by default; the CUDA backend binds its context).
     */
    protected void beforeCompute() {
    }

    /**
     * The objects of the op families, each implementing its family's interface; the ops call them after
     * {@link #beforeCompute()}, with the checked arguments.
     */
    protected abstract MemoryOps memory();
    protected abstract DenseOps dense();
    protected abstract ConvolutionOps convolution();
    protected abstract PoolingOps pooling();
    protected abstract MergeOps merge();
    protected abstract ActivationOps activation();
    protected abstract SoftmaxLossOps softmaxLoss();
    protected abstract DropoutOps dropout();
    protected abstract NormalizationOps normalization();
    protected abstract OptimizersOps optimizers();

    // ================================================================ memory

    @Override
    public final Tensor allocate(Shape shape, DataType dataType) {
        try (var call = guard.enter("allocate")) {
            checks.allocate(shape, dataType);
            return computeAllocate(shape, dataType);
        }
    }

    @Override
    public final void upload(float[] src, Tensor dst) {
        try (var call = guard.enter("upload")) {
            checks.upload(src, dst);
            beforeCompute();
            memory().upload(src, dst);
        }
    }

    @Override
    public final void upload(int[] src, Tensor dst) {
        try (var call = guard.enter("upload")) {
            checks.upload(src, dst);
            beforeCompute();
            memory().upload(src, dst);
        }
    }

    @Override
    public final void download(Tensor src, float[] dst) {
        try (var call = guard.enter("download")) {
            checks.download(src, dst);
            beforeCompute();
            memory().download(src, dst);
        }
    }

    @Override
    public final void download(Tensor src, int[] dst) {
        try (var call = guard.enter("download")) {
            checks.download(src, dst);
            beforeCompute();
            memory().download(src, dst);
        }
    }

    @Override
    public final PendingDownload downloadLater(Tensor src) {
        try (var call = guard.enter("downloadLater")) {
            checks.downloadLater(src);
            beforeCompute();
            return memory().downloadLater(src);
        }
    }

    @Override
    public final void fill(Tensor t, float value) {
        try (var call = guard.enter("fill")) {
            checks.fill(t, value);
            beforeCompute();
            memory().fill(t, value);
        }
    }

    @Override
    public final void copy(Tensor src, Tensor dst) {
        try (var call = guard.enter("copy")) {
            checks.copy(src, dst);
            beforeCompute();
            memory().copy(src, dst);
        }
    }

    @Override
    public final void gatherRows(Tensor src, Tensor order, int first, Tensor dst) {
        try (var call = guard.enter("gatherRows")) {
            checks.gatherRows(src, order, first, dst);
            beforeCompute();
            memory().gatherRows(src, order, first, dst);
        }
    }

    @Override
    public final void synchronize() {
        try (var call = guard.enter("synchronize")) {
            checks.synchronize();
            computeSynchronize();
        }
    }

    protected abstract Tensor computeAllocate(Shape shape, DataType dataType);

    /** Waits for the backend's work (nothing to wait for on a synchronous backend). */
    protected abstract void computeSynchronize();

    // ================================================================ dense

    @Override
    public final void gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha,
                           float beta) {
        try (var call = guard.enter("gemm")) {
            GemmGeometry g = checks.gemm(a, transposeA, b, transposeB, c, alpha, beta);
            beforeCompute();
            dense().gemm(g, a, transposeA, b, transposeB, c, alpha, beta);
        }
    }

    @Override
    public final void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        try (var call = guard.enter("linearForward")) {
            LinearGeometry g = checks.linearForward(x, w, bias, y);
            beforeCompute();
            dense().linearForward(g, x, w, bias, y);
        }
    }

    @Override
    public final void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        try (var call = guard.enter("linearBackward")) {
            LinearGeometry g = checks.linearBackward(x, w, dy, dx, dw, dbias);
            beforeCompute();
            dense().linearBackward(g, x, w, dy, dx, dw, dbias);
        }
    }

    @Override
    public final void addBias(Tensor y, Tensor bias) {
        try (var call = guard.enter("addBias")) {
            ChannelGeometry g = checks.addBias(y, bias);
            beforeCompute();
            dense().addBias(g, y, bias);
        }
    }

    @Override
    public final void biasGradient(Tensor dy, Tensor dbias) {
        try (var call = guard.enter("biasGradient")) {
            ChannelGeometry g = checks.biasGradient(dy, dbias);
            beforeCompute();
            dense().biasGradient(g, dy, dbias);
        }
    }

    // ================================================================ convolution

    @Override
    public final void conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
        try (var call = guard.enter("conv2dForward")) {
            ConvGeometry g = checks.conv2dForward(x, w, bias, spec, y);
            beforeCompute();
            convolution().conv2dForward(g, x, w, bias, y);
        }
    }

    @Override
    public final void conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
        try (var call = guard.enter("conv2dBackwardData")) {
            ConvGeometry g = checks.conv2dBackwardData(dy, w, spec, dx);
            beforeCompute();
            convolution().conv2dBackwardData(g, dy, w, dx);
        }
    }

    @Override
    public final void conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias) {
        try (var call = guard.enter("conv2dBackwardFilter")) {
            ConvGeometry g = checks.conv2dBackwardFilter(x, dy, spec, dw, dbias);
            beforeCompute();
            convolution().conv2dBackwardFilter(g, x, dy, dw, dbias);
        }
    }

    // ================================================================ pooling

    @Override
    public final void maxPoolForward(Tensor x, PoolSpec spec, Tensor y, Tensor switches) {
        try (var call = guard.enter("maxPoolForward")) {
            PoolGeometry g = checks.pooling().maxPoolForward(x, spec, y, switches);
            beforeCompute();
            pooling().maxPoolForward(g, x, y, switches);
        }
    }

    @Override
    public final void maxPoolBackward(Tensor dy, Tensor switches, PoolSpec spec, Tensor dx) {
        try (var call = guard.enter("maxPoolBackward")) {
            PoolGeometry g = checks.pooling().maxPoolBackward(dy, switches, spec, dx);
            beforeCompute();
            pooling().maxPoolBackward(g, dy, switches, dx);
        }
    }

    @Override
    public final void avgPoolForward(Tensor x, PoolSpec spec, Tensor y) {
        try (var call = guard.enter("avgPoolForward")) {
            PoolGeometry g = checks.pooling().avgPoolForward(x, spec, y);
            beforeCompute();
            pooling().avgPoolForward(g, x, y);
        }
    }

    @Override
    public final void avgPoolBackward(Tensor dy, PoolSpec spec, Tensor dx) {
        try (var call = guard.enter("avgPoolBackward")) {
            PoolGeometry g = checks.pooling().avgPoolBackward(dy, spec, dx);
            beforeCompute();
            pooling().avgPoolBackward(g, dy, dx);
        }
    }

    @Override
    public final void globalAvgPoolForward(Tensor x, Tensor y) {
        try (var call = guard.enter("globalAvgPoolForward")) {
            ChannelGeometry g = checks.pooling().globalAvgPoolForward(x, y);
            beforeCompute();
            pooling().globalAvgPoolForward(g, x, y);
        }
    }

    @Override
    public final void globalAvgPoolBackward(Tensor dy, Tensor dx) {
        try (var call = guard.enter("globalAvgPoolBackward")) {
            ChannelGeometry g = checks.pooling().globalAvgPoolBackward(dy, dx);
            beforeCompute();
            pooling().globalAvgPoolBackward(g, dy, dx);
        }
    }

    // ================================================================ merge

    @Override
    public final void add(Tensor a, Tensor b, Tensor y) {
        try (var call = guard.enter("add")) {
            checks.merge().add(a, b, y);
            beforeCompute();
            merge().add(a, b, y);
        }
    }

    @Override
    public final void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int channels) {
        try (var call = guard.enter("copyChannels")) {
            ChannelCopyGeometry g = checks.merge().copyChannels(src, srcChannel, dst, dstChannel, channels);
            beforeCompute();
            merge().copyChannels(g, src, dst);
        }
    }

    // ================================================================ activation

    @Override
    public final void activationForward(Activation f, Tensor x, Tensor y) {
        try (var call = guard.enter("activationForward")) {
            checks.activationForward(f, x, y);
            beforeCompute();
            activation().activationForward(f, x, y);
        }
    }

    @Override
    public final void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        try (var call = guard.enter("activationBackward")) {
            checks.activationBackward(f, y, dy, dx);
            beforeCompute();
            activation().activationBackward(f, y, dy, dx);
        }
    }

    // ================================================================ softmax loss

    @Override
    public final void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        try (var call = guard.enter("softmaxCrossEntropyForward")) {
            RowGeometry g = checks.softmaxCrossEntropyForward(logits, labels, probs, loss);
            beforeCompute();
            softmaxLoss().softmaxCrossEntropyForward(g, logits, labels, probs, loss);
        }
    }

    @Override
    public final void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits) {
        try (var call = guard.enter("softmaxCrossEntropyBackward")) {
            RowGeometry g = checks.softmaxCrossEntropyBackward(probs, labels, dlogits);
            beforeCompute();
            softmaxLoss().softmaxCrossEntropyBackward(g, probs, labels, dlogits);
        }
    }

    @Override
    public final void argmax(Tensor x, Tensor out) {
        try (var call = guard.enter("argmax")) {
            RowGeometry g = checks.argmax(x, out);
            beforeCompute();
            softmaxLoss().argmax(g, x, out);
        }
    }

    @Override
    public final void tallyBatch(Tensor predictions, Tensor labels, int count, Tensor loss, Tensor tallies,
                                 int slot) {
        try (var call = guard.enter("tallyBatch")) {
            checks.tallyBatch(predictions, labels, count, loss, tallies, slot);
            beforeCompute();
            softmaxLoss().tallyBatch(predictions, labels, count, loss, tallies, slot);
        }
    }

    // ================================================================ dropout

    @Override
    public final void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        try (var call = guard.enter("dropoutForward")) {
            checks.dropoutForward(x, p, seed, mask, y);
            beforeCompute();
            dropout().dropoutForward(x, p, seed, mask, y);
        }
    }

    @Override
    public final void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        try (var call = guard.enter("dropoutBackward")) {
            checks.dropoutBackward(dy, mask, dx);
            beforeCompute();
            dropout().dropoutBackward(dy, mask, dx);
        }
    }

    // ================================================================ normalization

    @Override
    public final void lrnForward(Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        try (var call = guard.enter("lrnForward")) {
            ChannelGeometry g = checks.lrnForward(x, spec, scale, y);
            beforeCompute();
            normalization().lrnForward(g, x, spec, scale, y);
        }
    }

    @Override
    public final void lrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        try (var call = guard.enter("lrnBackward")) {
            ChannelGeometry g = checks.lrnBackward(x, y, scale, dy, spec, dx);
            beforeCompute();
            normalization().lrnBackward(g, x, y, scale, dy, spec, dx);
        }
    }

    @Override
    public final void batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                               Tensor runningMean, Tensor runningVar, Tensor saveMean,
                                               Tensor saveInvStd, Tensor y) {
        try (var call = guard.enter("batchNormForwardTraining")) {
            ChannelGeometry g = checks.batchNormForwardTraining(x, gamma, beta, momentum, eps, runningMean, runningVar,
                    saveMean, saveInvStd, y);
            beforeCompute();
            normalization().batchNormForwardTraining(g, x, gamma, beta, momentum, eps, runningMean, runningVar,
                    saveMean, saveInvStd, y);
        }
    }

    @Override
    public final void batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                Tensor runningVar, float eps, Tensor y) {
        try (var call = guard.enter("batchNormForwardInference")) {
            ChannelGeometry g = checks.batchNormForwardInference(x, gamma, beta, runningMean, runningVar, eps, y);
            beforeCompute();
            normalization().batchNormForwardInference(g, x, gamma, beta, runningMean, runningVar, eps, y);
        }
    }

    @Override
    public final void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                        Tensor dx, Tensor dgamma, Tensor dbeta) {
        try (var call = guard.enter("batchNormBackward")) {
            ChannelGeometry g = checks.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
            beforeCompute();
            normalization().batchNormBackward(g, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        }
    }

    // ================================================================ optimizers

    @Override
    public final void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        try (var call = guard.enter("sgdUpdate")) {
            checks.sgdUpdate(param, grad, lr, weightDecay);
            beforeCompute();
            optimizers().sgdUpdate(param, grad, lr, weightDecay);
        }
    }

    @Override
    public final void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                                     float weightDecay, boolean nesterov) {
        try (var call = guard.enter("momentumUpdate")) {
            checks.momentumUpdate(param, grad, velocity, lr, momentum, weightDecay, nesterov);
            beforeCompute();
            optimizers().momentumUpdate(param, grad, velocity, lr, momentum, weightDecay, nesterov);
        }
    }

    @Override
    public final void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps,
                                    float weightDecay) {
        try (var call = guard.enter("adagradUpdate")) {
            checks.adagradUpdate(param, grad, sumSquares, lr, eps, weightDecay);
            beforeCompute();
            optimizers().adagradUpdate(param, grad, sumSquares, lr, eps, weightDecay);
        }
    }

    @Override
    public final void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                                    float weightDecay) {
        try (var call = guard.enter("rmspropUpdate")) {
            checks.rmspropUpdate(param, grad, meanSquare, lr, decay, eps, weightDecay);
            beforeCompute();
            optimizers().rmspropUpdate(param, grad, meanSquare, lr, decay, eps, weightDecay);
        }
    }

    @Override
    public final void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                                 float eps, float weightDecay, int step) {
        try (var call = guard.enter("adamUpdate")) {
            checks.adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
            beforeCompute();
            optimizers().adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
        }
    }

    // ================================================================ lifecycle

    /** Marks the backend closed and runs {@link #release()} the first time; later calls do nothing. */
    @Override
    public final void close() {
        try (var call = guard.enter("close")) {
            if (closed) {
                return;
            }
            closed = true;
            release();
        }
    }

    /** Frees what the backend holds; called once, by the first {@link #close()}, with the backend closed. */
    protected abstract void release();
}
