package org.convnet4j.backend.cuda;

import java.util.List;

import org.convnet4j.backend.AbstractBackend;
import org.convnet4j.backend.ActivationOps;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
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
import org.convnet4j.backend.SoftmaxLossOps;
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
 * workspace). {@link AbstractBackend} claims the backend and checks each op once with the shared
 * {@link OpChecks}, has {@link #beforeCompute()} bind the device's context to the calling thread and makes
 * one call to the class of the op's family (CudaConvolution, CudaPooling, CudaMerge, CudaDense, ...), which
 * computes without checking again: it launches the kernels of the one .cu file of its name through a
 * {@link CudaOpContext} and never sees the backend.
 */
@SuppressWarnings("try") // conv2dBackward and releaseBlock claim the backend with try (var call = ...)
public final class CudaBackend extends AbstractBackend {
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
    private final GraphPhase phase;
    private final StepScalars scalars;

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

    @Override
    protected boolean owns(Tensor t) {
        return t instanceof CudaTensor ct && ct.owner() == this;
    }

    @Override
    protected boolean usable(Tensor t) {
        return ((CudaTensor) t).usable();
    }

    // ---------------------------------------------------------------- memory

    @Override
    protected MemoryOps memory() {
        return memory;
    }

    @Override
    protected Tensor computeAllocate(Shape shape, DataType dataType) {
        DevicePool.Block block = bound(pool).acquire((long) shape.size() * dataType.bytes());
        device.set32(block.address(), 0, shape.size());
        return new CudaTensor(this, shape, dataType, block, null);
    }

    void releaseBlock(DevicePool.Block block) {
        try (var call = guard().enter("Tensor.close")) { // the pool is not thread-safe either
            pool.release(block);
        }
    }

    @Override
    protected void computeSynchronize() {
        phase.refuse("a synchronization");
        bound(device).synchronize();
    }

    @Override
    public MemoryStats memoryStats() {
        return pool.stats();
    }

    // ---------------------------------------------------------------- dense

    @Override
    protected DenseOps dense() {
        return dense;
    }

    // ---------------------------------------------------------------- convolution

    @Override
    protected ConvolutionOps convolution() {
        return convolution;
    }

    /** Both passes checked as the two calls check them; then one pass over dy's chunks where im2col runs both. */
    @Override
    public void conv2dBackward(Tensor x, Tensor dy, Tensor w, ConvSpec spec, Tensor dx, Tensor dw, Tensor dbias) {
        try (var call = guard().enter("conv2dBackward")) {
            ConvGeometry g = checks().conv2dBackwardFilter(x, dy, spec, dw, dbias);
            if (dx != null) {
                checks().conv2dBackwardData(dy, w, spec, dx);
            }
            bound(convolution).backward(g, x, dy, w, dx, dw, dbias);
        }
    }

    // ---------------------------------------------------------------- pooling

    @Override
    protected PoolingOps pooling() {
        return pooling;
    }

    // ---------------------------------------------------------------- merge

    @Override
    protected MergeOps merge() {
        return merge;
    }

    // ---------------------------------------------------------------- activation

    @Override
    protected ActivationOps activation() {
        return activation;
    }

    // ---------------------------------------------------------------- softmax loss

    @Override
    protected SoftmaxLossOps softmaxLoss() {
        return softmaxLoss;
    }

    // ---------------------------------------------------------------- dropout

    @Override
    protected DropoutOps dropout() {
        return dropout;
    }

    // ---------------------------------------------------------------- normalization

    @Override
    protected NormalizationOps normalization() {
        return normalization;
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    protected OptimizersOps optimizers() {
        return optimizers;
    }

    // ---------------------------------------------------------------- plumbing

    /** Binds the device's context to the calling thread before the base calls a family. */
    @Override
    protected void beforeCompute() {
        device.makeCurrent();
    }

    /** target (a family, the pool, the device), once the device's context is bound to the calling thread. */
    private <T> T bound(T target) {
        device.makeCurrent();
        return target;
    }

    @Override
    protected void release() {
        try {
            device.synchronize();
        } finally {
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
