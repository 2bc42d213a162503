package org.convnet4j.backend.cuda;

import java.util.List;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.ChannelCopyGeometry;
import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.GemmGeometry;
import org.convnet4j.backend.LinearGeometry;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.OpChecks;
import org.convnet4j.backend.PoolGeometry;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.backend.RowGeometry;
import org.convnet4j.backend.SingleThreadGuard;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The CUDA backend: every {@link Backend} op as a hand-written kernel (kernels/*.cu) launched through
 * JCuda's driver API on one device's primary context, with GEMM from the {@link GemmProvider} that
 * {@link GemmProviders} picks. Everything (kernels, copies, fills, GEMMs) runs in order on the backend's
 * own non-blocking {@link #stream()}; nothing inside an op waits for the device, and a download waits for
 * the stream only. Device memory comes from a caching {@link DevicePool}; the ops that need scratch
 * memory share one pooled {@link Workspace}; the scalars that change from step to step (learning rate,
 * Adam's step, dropout seeds) live in device memory ({@link StepScalars}), so that a training step can be
 * captured once and replayed as a CUDA graph ({@link CudaGraphStep}).
 *
 * <p>This class keeps what is backend-wide (the device, the pool, the launcher, the GEMM provider, the
 * workspace, the closed state). Each op is one call to the shared {@link OpChecks}, which checks every
 * argument once and returns the op's geometry, and one call to the class of the op's family
 * (CudaConvolution, CudaPooling, CudaMerge, CudaDense, ...), which computes without checking again: it launches the
 * kernels of the one .cu file of its name through a {@link CudaOpContext} and never sees the backend.
 */
@SuppressWarnings("try") // each op claims the backend with try (var call = guard.enter(op)) and never reads call
public final class CudaBackend implements Backend {
    /** Fails at once, naming both threads, when a second thread calls while a call is in flight. */
    private final SingleThreadGuard guard = new SingleThreadGuard("CudaBackend");
    private final DeviceOps device;
    private final DevicePool pool;
    private final KernelLauncher launcher;
    private final GemmProvider gemm;
    private final List<String> gemmAttempts;
    private final String kernelTargets;
    private final Runnable releaseDevice;
    private final Workspace workspace;
    private final CudaOpContext context;
    private final CudaMemory memory;
    private final CudaDense dense;
    private final CudaConvolution convolution;
    private final CudaPooling pooling;
    private final CudaMerge merge;
    private final CudaActivation activation;
    private final CudaSoftmaxLoss softmaxLoss;
    private final CudaDropout dropout;
    private final CudaNormalization normalization;
    private final CudaOptimizers optimizers;
    private final OpChecks checks;
    private final GraphPhase phase;
    private final StepScalars scalars;
    private boolean closed;

    /**
     * A backend on the given device pieces (tests pass host fakes of them).
     *
     * @param releaseDevice called last by close(): unloads the kernel image and releases the context
     */
    CudaBackend(DeviceOps device, DevicePool pool, KernelLauncher launcher, GemmProviders.Selection selection,
                String kernelTargets, Runnable releaseDevice) {
        this.device = device;
        this.pool = pool;
        this.launcher = launcher;
        this.gemm = selection.provider();
        this.gemmAttempts = selection.attempts();
        this.kernelTargets = kernelTargets;
        this.releaseDevice = releaseDevice;
        this.workspace = new Workspace(pool);
        this.phase = launcher.phase();
        this.scalars = new StepScalars(pool, device, phase);
        this.context = new CudaOpContext(launcher, new PhasedGemm(gemm, phase), device, workspace);
        this.memory = new CudaMemory(context);
        this.dense = new CudaDense(context);
        this.convolution = new CudaConvolution(context, CudaConvolution.processFinder(device), ConvAlgorithms.requested());
        this.pooling = new CudaPooling(context);
        this.merge = new CudaMerge(context);
        this.activation = new CudaActivation(context);
        this.softmaxLoss = new CudaSoftmaxLoss(context);
        this.dropout = new CudaDropout(context, scalars);
        this.normalization = new CudaNormalization(context);
        this.optimizers = new CudaOptimizers(context, scalars);
        this.checks = new OpChecks(name(), t -> t instanceof CudaTensor ct && ct.owner() == this,
                t -> ((CudaTensor) t).usable(), () -> closed);
    }

    /** The backend on device 0. */
    public static CudaBackend open() {
        return open(0);
    }

    /**
     * The backend on device ordinal, with the GEMM provider {@link GemmProviders} picks.
     *
     * @throws BackendUnavailableException with the exact reason when the driver, the device or the kernel
     *                                     image is missing, or no GEMM provider loads
     */
    public static CudaBackend open(int device) {
        return DeviceSetup.open(device);
    }

    /** The launcher of every kernel (the native tests build extra GEMM providers on it). */
    KernelLauncher launcher() {
        return launcher;
    }

    /** What the family classes get (the native tests run a convolution algorithm on it directly). */
    CudaOpContext opContext() {
        return context;
    }

    /**
     * The stream all of this backend's work runs on, in program order. Work of your own issued to it after
     * an op runs after that op; work issued to another stream or the legacy default stream does not wait
     * for ours (the stream is non-blocking): order it with an event, or synchronize the backend.
     */
    public CudaStream stream() {
        return device.stream();
    }

    /**
     * The raw device address of t's first element, for your own kernels or libraries on {@link #stream()}.
     * Valid while t is open; t's memory belongs to the backend's pool.
     *
     * @throws IllegalArgumentException when t is not a tensor of this backend
     */
    public long devicePointer(Tensor t) {
        if (!(t instanceof CudaTensor ct) || ct.owner() != this) {
            throw new IllegalArgumentException("devicePointer: " + t + " is not a tensor of this CUDA backend");
        }
        return ct.address();
    }

    DeviceOps device() {
        return device;
    }

    DevicePool pool() {
        return pool;
    }

    GraphPhase phase() {
        return phase;
    }

    StepScalars scalars() {
        return scalars;
    }

    /** The GEMM provider in use. */
    public GemmProvider gemmProvider() {
        return gemm;
    }

    /** One line per GEMM candidate tried: "name: loaded" or "name: unavailable: reason". */
    public List<String> gemmAttempts() {
        return gemmAttempts;
    }

    /** The kernel image's targets, e.g. "SASS sm_75 sm_80 ..., PTX compute_90". */
    public String kernelTargets() {
        return kernelTargets;
    }

    /**
     * The workspace im2col + GEMM takes for a convolution with these shapes, in bytes (for bench output): a
     * chunk of images' columns plus their output (or dy) in the GEMM's channel-major layout. The filter
     * gradient adds its K slices' partial sums and the bias gradient's, which depend on the device's SMs.
     */
    public static long convWorkspaceBytes(Shape x, Shape w, ConvSpec spec) {
        return Im2colGemm.workspaceBytes(ConvGeometry.of("conv2d", x, w, spec));
    }

    /**
     * From now on run this convolution algorithm ({@link ConvAlgorithms#AUTO} or a name of
     * {@link ConvAlgorithms#ALGORITHMS}) wherever it applies, im2col elsewhere; the backend starts with
     * {@link ConvAlgorithms#requested()}. For benchmarks that compare algorithms in one process.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public void requestConvAlgorithm(String name) {
        convolution.request(name);
    }

    /**
     * Why the named algorithm cannot run this convolution pass (null when it can), e.g. for a benchmark that
     * skips it.
     *
     * @throws IllegalArgumentException for an unknown name or shapes that do not fit the spec
     */
    public String convAlgorithmDoesNotApply(String name, Shape x, Shape w, ConvSpec spec, ConvPass pass) {
        return convolution.whyNot(name, ConvGeometry.of("conv2d", x, w, spec), pass);
    }

    /** The names of the convolution algorithms this backend implements, in the order auto tries them. */
    public List<String> convAlgorithms() {
        return convolution.names();
    }

    @Override
    public List<String> convAlgorithmsUsed() {
        return convolution.used();
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return "cuda: " + device.describe() + ", GEMM " + gemm.name();
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor allocate(Shape shape, DataType dataType) {
        try (var call = guard.enter("allocate")) {
            checks.allocate(shape, dataType);
            DevicePool.Block block = bound(pool).acquire((long) shape.size() * dataType.bytes());
            device.set32(block.address(), 0, shape.size());
            return new CudaTensor(this, shape, dataType, block, null);
        }
    }

    void releaseBlock(DevicePool.Block block) {
        try (var call = guard.enter("Tensor.close")) { // the pool is not thread-safe either
            pool.release(block);
        }
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        try (var call = guard.enter("upload")) {
            checks.upload(src, dst);
            bound(memory).upload(src, dst);
        }
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        try (var call = guard.enter("upload")) {
            checks.upload(src, dst);
            bound(memory).upload(src, dst);
        }
    }

    @Override
    public void download(Tensor src, float[] dst) {
        try (var call = guard.enter("download")) {
            checks.download(src, dst);
            bound(memory).download(src, dst);
        }
    }

    @Override
    public void download(Tensor src, int[] dst) {
        try (var call = guard.enter("download")) {
            checks.download(src, dst);
            bound(memory).download(src, dst);
        }
    }

    @Override
    public void fill(Tensor t, float value) {
        try (var call = guard.enter("fill")) {
            checks.fill(t, value);
            bound(memory).fill(t, value);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        try (var call = guard.enter("copy")) {
            checks.copy(src, dst);
            bound(memory).copy(src, dst);
        }
    }

    /**
     * Builds a batch on the device from a data set held there: dst[i, ...] = src[order[first + i], ...] for
     * i &lt; B, where src is [N, ...] and dst [B, ...] with the same per-row shape and type (FLOAT32 images or
     * INT32 labels), and order INT32 [M] holds row numbers in [0, N) (an epoch's permutation, uploaded once;
     * its values are not checked). One kernel, no host copy; it can be captured into a CUDA graph.
     *
     * @throws IllegalArgumentException naming the shapes when they do not fit, or first + B &gt; M
     */
    public void gatherRows(Tensor src, Tensor order, int first, Tensor dst) {
        try (var call = guard.enter("gatherRows")) {
            CudaMemory.checkGather(this, src, order, first, dst);
            bound(memory).gatherRows(src, order, first, dst);
        }
    }

    @Override
    public void synchronize() {
        try (var call = guard.enter("synchronize")) {
            checks.synchronize();
            phase.refuse("a synchronization");
            bound(device).synchronize();
        }
    }

    @Override
    public MemoryStats memoryStats() {
        return pool.stats();
    }

    // ---------------------------------------------------------------- dense

    @Override
    public void gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha, float beta) {
        try (var call = guard.enter("gemm")) {
            GemmGeometry g = checks.gemm(a, transposeA, b, transposeB, c, alpha, beta);
            bound(dense).gemm(g, a, transposeA, b, transposeB, c, alpha, beta);
        }
    }

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        try (var call = guard.enter("linearForward")) {
            LinearGeometry g = checks.linearForward(x, w, bias, y);
            bound(dense).linearForward(g, x, w, bias, y);
        }
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        try (var call = guard.enter("linearBackward")) {
            LinearGeometry g = checks.linearBackward(x, w, dy, dx, dw, dbias);
            bound(dense).linearBackward(g, x, w, dy, dx, dw, dbias);
        }
    }

    @Override
    public void addBias(Tensor y, Tensor bias) {
        try (var call = guard.enter("addBias")) {
            ChannelGeometry g = checks.addBias(y, bias);
            bound(dense).addBias(g, y, bias);
        }
    }

    @Override
    public void biasGradient(Tensor dy, Tensor dbias) {
        try (var call = guard.enter("biasGradient")) {
            ChannelGeometry g = checks.biasGradient(dy, dbias);
            bound(dense).biasGradient(g, dy, dbias);
        }
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
        try (var call = guard.enter("conv2dForward")) {
            ConvGeometry g = checks.conv2dForward(x, w, bias, spec, y);
            bound(convolution).forward(g, x, w, bias, y);
        }
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
        try (var call = guard.enter("conv2dBackwardData")) {
            ConvGeometry g = checks.conv2dBackwardData(dy, w, spec, dx);
            bound(convolution).backwardData(g, dy, w, dx);
        }
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias) {
        try (var call = guard.enter("conv2dBackwardFilter")) {
            ConvGeometry g = checks.conv2dBackwardFilter(x, dy, spec, dw, dbias);
            bound(convolution).backwardFilter(g, x, dy, dw, dbias);
        }
    }

    /** Both passes checked as the two calls check them; then one pass over dy's chunks where im2col runs both. */
    @Override
    public void conv2dBackward(Tensor x, Tensor dy, Tensor w, ConvSpec spec, Tensor dx, Tensor dw, Tensor dbias) {
        try (var call = guard.enter("conv2dBackward")) {
            ConvGeometry g = checks.conv2dBackwardFilter(x, dy, spec, dw, dbias);
            if (dx != null) {
                checks.conv2dBackwardData(dy, w, spec, dx);
            }
            bound(convolution).backward(g, x, dy, w, dx, dw, dbias);
        }
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public void maxPoolForward(Tensor x, PoolSpec spec, Tensor y, Tensor switches) {
        try (var call = guard.enter("maxPoolForward")) {
            PoolGeometry g = checks.pooling().maxPoolForward(x, spec, y, switches);
            bound(pooling).maxForward(g, x, y, switches);
        }
    }

    @Override
    public void maxPoolBackward(Tensor dy, Tensor switches, PoolSpec spec, Tensor dx) {
        try (var call = guard.enter("maxPoolBackward")) {
            PoolGeometry g = checks.pooling().maxPoolBackward(dy, switches, spec, dx);
            bound(pooling).maxBackward(g, dy, switches, dx);
        }
    }

    @Override
    public void avgPoolForward(Tensor x, PoolSpec spec, Tensor y) {
        try (var call = guard.enter("avgPoolForward")) {
            PoolGeometry g = checks.pooling().avgPoolForward(x, spec, y);
            bound(pooling).avgForward(g, x, y);
        }
    }

    @Override
    public void avgPoolBackward(Tensor dy, PoolSpec spec, Tensor dx) {
        try (var call = guard.enter("avgPoolBackward")) {
            PoolGeometry g = checks.pooling().avgPoolBackward(dy, spec, dx);
            bound(pooling).avgBackward(g, dy, dx);
        }
    }

    @Override
    public void globalAvgPoolForward(Tensor x, Tensor y) {
        try (var call = guard.enter("globalAvgPoolForward")) {
            ChannelGeometry g = checks.pooling().globalAvgPoolForward(x, y);
            bound(pooling).globalAvgForward(g, x, y);
        }
    }

    @Override
    public void globalAvgPoolBackward(Tensor dy, Tensor dx) {
        try (var call = guard.enter("globalAvgPoolBackward")) {
            ChannelGeometry g = checks.pooling().globalAvgPoolBackward(dy, dx);
            bound(pooling).globalAvgBackward(g, dy, dx);
        }
    }

    // ---------------------------------------------------------------- merge

    @Override
    public void add(Tensor a, Tensor b, Tensor y) {
        try (var call = guard.enter("add")) {
            checks.merge().add(a, b, y);
            bound(merge).add(a, b, y);
        }
    }

    @Override
    public void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int channels) {
        try (var call = guard.enter("copyChannels")) {
            ChannelCopyGeometry g = checks.merge().copyChannels(src, srcChannel, dst, dstChannel, channels);
            bound(merge).copyChannels(g, src, dst);
        }
    }

    // ---------------------------------------------------------------- activation

    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        try (var call = guard.enter("activationForward")) {
            checks.activationForward(f, x, y);
            bound(activation).forward(f, x, y);
        }
    }

    @Override
    public void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        try (var call = guard.enter("activationBackward")) {
            checks.activationBackward(f, y, dy, dx);
            bound(activation).backward(f, y, dy, dx);
        }
    }

    // ---------------------------------------------------------------- softmax loss

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        try (var call = guard.enter("softmaxCrossEntropyForward")) {
            RowGeometry g = checks.softmaxCrossEntropyForward(logits, labels, probs, loss);
            bound(softmaxLoss).forward(g, logits, labels, probs, loss);
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits) {
        try (var call = guard.enter("softmaxCrossEntropyBackward")) {
            RowGeometry g = checks.softmaxCrossEntropyBackward(probs, labels, dlogits);
            bound(softmaxLoss).backward(g, probs, labels, dlogits);
        }
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        try (var call = guard.enter("argmax")) {
            RowGeometry g = checks.argmax(x, out);
            bound(softmaxLoss).argmax(g, x, out);
        }
    }

    // ---------------------------------------------------------------- dropout

    @Override
    public void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        try (var call = guard.enter("dropoutForward")) {
            checks.dropoutForward(x, p, seed, mask, y);
            bound(dropout).forward(x, p, seed, mask, y);
        }
    }

    @Override
    public void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        try (var call = guard.enter("dropoutBackward")) {
            checks.dropoutBackward(dy, mask, dx);
            bound(dropout).backward(dy, mask, dx);
        }
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public void lrnForward(Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        try (var call = guard.enter("lrnForward")) {
            ChannelGeometry g = checks.lrnForward(x, spec, scale, y);
            bound(normalization).lrnForward(g, x, spec, scale, y);
        }
    }

    @Override
    public void lrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        try (var call = guard.enter("lrnBackward")) {
            ChannelGeometry g = checks.lrnBackward(x, y, scale, dy, spec, dx);
            bound(normalization).lrnBackward(g, x, y, scale, dy, spec, dx);
        }
    }

    @Override
    public void batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                         Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                         Tensor y) {
        try (var call = guard.enter("batchNormForwardTraining")) {
            ChannelGeometry g = checks.batchNormForwardTraining(x, gamma, beta, momentum, eps, runningMean, runningVar,
                    saveMean, saveInvStd, y);
            bound(normalization).batchNormForwardTraining(g, x, gamma, beta, momentum, eps, runningMean, runningVar,
                    saveMean, saveInvStd, y);
        }
    }

    @Override
    public void batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                          Tensor runningVar, float eps, Tensor y) {
        try (var call = guard.enter("batchNormForwardInference")) {
            ChannelGeometry g = checks.batchNormForwardInference(x, gamma, beta, runningMean, runningVar, eps, y);
            bound(normalization).batchNormForwardInference(g, x, gamma, beta, runningMean, runningVar, eps, y);
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        try (var call = guard.enter("batchNormBackward")) {
            ChannelGeometry g = checks.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
            bound(normalization).batchNormBackward(g, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        }
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        try (var call = guard.enter("sgdUpdate")) {
            checks.sgdUpdate(param, grad, lr, weightDecay);
            bound(optimizers).sgd(param, grad, lr, weightDecay);
        }
    }

    @Override
    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                               float weightDecay, boolean nesterov) {
        try (var call = guard.enter("momentumUpdate")) {
            checks.momentumUpdate(param, grad, velocity, lr, momentum, weightDecay, nesterov);
            bound(optimizers).momentum(param, grad, velocity, lr, momentum, weightDecay, nesterov);
        }
    }

    @Override
    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        try (var call = guard.enter("adagradUpdate")) {
            checks.adagradUpdate(param, grad, sumSquares, lr, eps, weightDecay);
            bound(optimizers).adagrad(param, grad, sumSquares, lr, eps, weightDecay);
        }
    }

    @Override
    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        try (var call = guard.enter("rmspropUpdate")) {
            checks.rmspropUpdate(param, grad, meanSquare, lr, decay, eps, weightDecay);
            bound(optimizers).rmsprop(param, grad, meanSquare, lr, decay, eps, weightDecay);
        }
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        try (var call = guard.enter("adamUpdate")) {
            checks.adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
            bound(optimizers).adam(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
        }
    }

    // ---------------------------------------------------------------- plumbing

    /** target (a family, the pool, the device), once the device's context is bound to the calling thread. */
    private <T> T bound(T target) {
        device.makeCurrent();
        return target;
    }

    @Override
    public void close() {
        try (var call = guard.enter("close")) {
            if (closed) {
                return;
            }
            try {
                device.synchronize();
            } finally {
                closed = true;
                workspace.forget();
                scalars.forget();
                try {
                    gemm.close();
                    pool.close();
                } finally {
                    releaseDevice.run();
                }
            }
        }
    }
}
