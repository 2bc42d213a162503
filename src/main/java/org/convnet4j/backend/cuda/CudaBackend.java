package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.OpChecks.minRank;
import static org.convnet4j.backend.cuda.OpChecks.notNull;
import static org.convnet4j.backend.cuda.OpChecks.rank;
import static org.convnet4j.backend.cuda.OpChecks.sameShape;
import static org.convnet4j.backend.cuda.OpChecks.sameSize;
import static org.convnet4j.backend.cuda.OpChecks.type;

import java.util.List;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The CUDA backend: every {@link Backend} op as a hand-written kernel (kernels/*.cu) launched through
 * JCuda's driver API on the legacy default stream of one device's primary context, with GEMM from the
 * {@link GemmProvider} that {@link GemmProviders} picks. Device memory comes from a caching
 * {@link DevicePool}; the ops that need scratch memory share one pooled {@link Workspace}.
 *
 * <p>This class keeps what is backend-wide (the device, the pool, the launcher, the GEMM provider, the
 * workspace, the closed state) and hands each op to the class of its family (CudaConvolution,
 * CudaPooling, CudaDense, ...), which launches the kernels of the one .cu file of its name through a
 * {@link CudaOpContext} and never sees the backend.
 */
public final class CudaBackend implements Backend {
    private final DeviceOps device;
    private final DevicePool pool;
    private final KernelLauncher launcher;
    private final GemmProvider gemm;
    private final List<String> gemmAttempts;
    private final String kernelTargets;
    private final Runnable releaseDevice;
    private final Workspace workspace;
    private final CudaMemory memory;
    private final CudaDense dense;
    private final CudaConvolution convolution;
    private final CudaPooling pooling;
    private final CudaActivation activation;
    private final CudaSoftmaxLoss softmaxLoss;
    private final CudaDropout dropout;
    private final CudaNormalization normalization;
    private final CudaOptimizers optimizers;
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
        CudaOpContext context = new CudaOpContext(launcher, gemm, device, workspace);
        this.memory = new CudaMemory(context);
        this.dense = new CudaDense(context);
        this.convolution = new CudaConvolution(context);
        this.pooling = new CudaPooling(context);
        this.activation = new CudaActivation(context);
        this.softmaxLoss = new CudaSoftmaxLoss(context);
        this.dropout = new CudaDropout(context);
        this.normalization = new CudaNormalization(context);
        this.optimizers = new CudaOptimizers(context);
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
        CudaContext context = CudaContext.open(device);
        KernelImage image = null;
        try {
            image = KernelImage.load(context.computeCapabilityMajor(), context.computeCapabilityMinor());
            KernelLauncher launcher = new KernelLauncher(image);
            GemmProviders.Selection selection = GemmProviders.select(GemmProviders.defaultCandidates(launcher),
                    GemmProviders.requestedName());
            KernelImage loaded = image;
            return new CudaBackend(context, new DevicePool(new CudaAllocator(context)), launcher, selection,
                    image.info().toString(), () -> {
                        loaded.close();
                        context.close();
                    });
        } catch (RuntimeException e) {
            if (image != null) {
                image.close();
            }
            context.close();
            throw e;
        }
    }

    /** The launcher of every kernel (the native tests build extra GEMM providers on it). */
    KernelLauncher launcher() {
        return launcher;
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
     * The workspace a convolution with these shapes uses in any of its three passes, in bytes (for bench
     * output): a chunk of images' columns plus their output (or dy) in the GEMM's channel-major layout.
     */
    public static long convWorkspaceBytes(Shape x, Shape w, ConvSpec spec) {
        Shape y = spec.outputShape("conv2d", x, w);
        return CudaConvolution.workspaceBytes(new CudaConvolution.Geometry(x, w, y, spec));
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
        begin();
        notNull("allocate", "shape", shape);
        notNull("allocate", "dataType", dataType);
        DevicePool.Block block = pool.acquire((long) shape.size() * dataType.bytes());
        device.zero(block.address(), shape.size());
        return new CudaTensor(this, shape, dataType, block, null);
    }

    void releaseBlock(DevicePool.Block block) {
        pool.release(block);
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        begin();
        CudaTensor d = own("upload", "dst", dst, DataType.FLOAT32);
        hostLength("upload", src.length, d);
        memory.upload(src, d);
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        begin();
        CudaTensor d = own("upload", "dst", dst, DataType.INT32);
        hostLength("upload", src.length, d);
        memory.upload(src, d);
    }

    @Override
    public void download(Tensor src, float[] dst) {
        begin();
        CudaTensor s = own("download", "src", src, DataType.FLOAT32);
        hostLength("download", dst.length, s);
        memory.download(s, dst);
    }

    @Override
    public void download(Tensor src, int[] dst) {
        begin();
        CudaTensor s = own("download", "src", src, DataType.INT32);
        hostLength("download", dst.length, s);
        memory.download(s, dst);
    }

    private static void hostLength(String op, int length, CudaTensor t) {
        if (length != t.size()) {
            throw new IllegalArgumentException(op + ": host array has " + length + " elements but tensor "
                    + t.shape() + " has " + t.size());
        }
    }

    @Override
    public void fill(Tensor t, float value) {
        begin();
        CudaTensor x = own("fill", "t", t, DataType.FLOAT32);
        memory.fill(x, value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        begin();
        CudaTensor s = own("copy", "src", src, null);
        CudaTensor d = own("copy", "dst", dst, null);
        if (s.dataType() != d.dataType() || s.size() != d.size()) {
            throw new IllegalArgumentException("copy: src " + s.shape() + " " + s.dataType() + " and dst "
                    + d.shape() + " " + d.dataType() + " must have the same size and data type");
        }
        memory.copy(s, d);
    }

    @Override
    public void synchronize() {
        begin();
        device.synchronize();
    }

    @Override
    public MemoryStats memoryStats() {
        return pool.stats();
    }

    // ---------------------------------------------------------------- dense algebra

    @Override
    public void gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha, float beta) {
        begin();
        String op = "gemm";
        CudaTensor ta = own(op, "a", a, DataType.FLOAT32);
        CudaTensor tb = own(op, "b", b, DataType.FLOAT32);
        CudaTensor tc = own(op, "c", c, DataType.FLOAT32);
        rank(op, "a", ta, 2);
        rank(op, "b", tb, 2);
        rank(op, "c", tc, 2);
        int m = transposeA ? ta.shape().dim(1) : ta.shape().dim(0);
        int k = transposeA ? ta.shape().dim(0) : ta.shape().dim(1);
        int kb = transposeB ? tb.shape().dim(1) : tb.shape().dim(0);
        int n = transposeB ? tb.shape().dim(0) : tb.shape().dim(1);
        if (k != kb) {
            throw new IllegalArgumentException("gemm: op(a) is [" + m + ", " + k + "] (a " + ta.shape()
                    + (transposeA ? " transposed" : "") + ") but op(b) is [" + kb + ", " + n + "] (b " + tb.shape()
                    + (transposeB ? " transposed" : "") + "): inner dimensions differ");
        }
        sameShape(op, "c", tc, Shape.of(m, n));
        dense.gemm(ta, transposeA, tb, transposeB, tc, alpha, beta, m, n, k);
    }

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        begin();
        String op = "linearForward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tw = own(op, "w", w, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        int n = tx.shape().n();
        int k = tx.shape().sizePerItem();
        rank(op, "w", tw, 2);
        if (tw.shape().dim(1) != k) {
            throw new IllegalArgumentException(op + ": x " + tx.shape() + " has " + k + " features per item but w "
                    + tw.shape() + " expects " + tw.shape().dim(1));
        }
        int m = tw.shape().dim(0);
        sameShape(op, "y", ty, Shape.of(n, m));
        CudaTensor tb = bias == null ? null : own(op, "bias", bias, DataType.FLOAT32);
        if (tb != null) {
            sameShape(op, "bias", tb, Shape.of(m));
        }
        dense.linearForward(tx, tw, tb, ty, n, m, k);
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        begin();
        String op = "linearBackward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tw = own(op, "w", w, DataType.FLOAT32);
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdw = own(op, "dw", dw, DataType.FLOAT32);
        int n = tx.shape().n();
        int k = tx.shape().sizePerItem();
        rank(op, "w", tw, 2);
        int m = tw.shape().dim(0);
        if (tw.shape().dim(1) != k) {
            throw new IllegalArgumentException(op + ": x " + tx.shape() + " has " + k + " features per item but w "
                    + tw.shape() + " expects " + tw.shape().dim(1));
        }
        sameShape(op, "dy", tdy, Shape.of(n, m));
        sameShape(op, "dw", tdw, tw.shape());
        CudaTensor tdx = dx == null ? null : own(op, "dx", dx, DataType.FLOAT32);
        if (tdx != null) {
            sameShape(op, "dx", tdx, tx.shape());
        }
        CudaTensor tdb = dbias == null ? null : own(op, "dbias", dbias, DataType.FLOAT32);
        if (tdb != null) {
            sameShape(op, "dbias", tdb, Shape.of(m));
        }
        dense.linearBackward(tx, tw, tdy, tdx, tdw, tdb, n, m, k);
    }

    @Override
    public void addBias(Tensor y, Tensor bias) {
        begin();
        String op = "addBias";
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        CudaTensor tb = own(op, "bias", bias, DataType.FLOAT32);
        minRank(op, "y", ty, 2);
        int channels = ty.shape().dim(1);
        sameShape(op, "bias", tb, Shape.of(channels));
        int spatial = ty.size() / (ty.shape().n() * channels);
        dense.addBias(ty, tb, channels, spatial);
    }

    @Override
    public void biasGradient(Tensor dy, Tensor dbias) {
        begin();
        String op = "biasGradient";
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdb = own(op, "dbias", dbias, DataType.FLOAT32);
        minRank(op, "dy", tdy, 2);
        int channels = tdy.shape().dim(1);
        sameShape(op, "dbias", tdb, Shape.of(channels));
        dense.biasGradient(tdy, tdb, tdy.shape().n(), channels, tdy.size() / (tdy.shape().n() * channels));
    }

    private CudaConvolution.Geometry convGeometry(String op, CudaTensor x, Shape wShape, ConvSpec spec, CudaTensor y) {
        notNull(op, "spec", spec);
        Shape expected = spec.outputShape(op, x.shape(), wShape);
        sameShape(op, op.equals("conv2dForward") ? "y" : "dy", y, expected);
        return new CudaConvolution.Geometry(x.shape(), wShape, expected, spec);
    }

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
        begin();
        String op = "conv2dForward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tw = own(op, "w", w, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        CudaConvolution.Geometry g = convGeometry(op, tx, tw.shape(), spec, ty);
        CudaTensor tb = bias == null ? null : own(op, "bias", bias, DataType.FLOAT32);
        if (tb != null) {
            sameShape(op, "bias", tb, Shape.of(g.fn()));
        }
        convolution.forward(g, tx, tw, tb, ty);
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
        begin();
        String op = "conv2dBackwardData";
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tw = own(op, "w", w, DataType.FLOAT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        CudaConvolution.Geometry g = convGeometry(op, tdx, tw.shape(), spec, tdy);
        convolution.backwardData(g, tdy, tw, tdx);
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias) {
        begin();
        String op = "conv2dBackwardFilter";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdw = own(op, "dw", dw, DataType.FLOAT32);
        CudaConvolution.Geometry g = convGeometry(op, tx, tdw.shape(), spec, tdy);
        CudaTensor tdb = dbias == null ? null : own(op, "dbias", dbias, DataType.FLOAT32);
        if (tdb != null) {
            sameShape(op, "dbias", tdb, Shape.of(g.fn()));
        }
        convolution.backwardFilter(g, tx, tdy, tdw);
        if (tdb != null) {
            dense.biasGradient(tdy, tdb, g.n(), g.fn(), g.p());
        }
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public void maxPoolForward(Tensor x, PoolSpec spec, Tensor y, Tensor switches) {
        begin();
        String op = "maxPoolForward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        CudaTensor ts = own(op, "switches", switches, DataType.INT32);
        notNull(op, "spec", spec);
        Shape out = spec.outputShape(op, tx.shape());
        sameShape(op, "y", ty, out);
        sameShape(op, "switches", ts, out);
        pooling.maxForward(tx, spec, out, ty, ts);
    }

    @Override
    public void maxPoolBackward(Tensor dy, Tensor switches, PoolSpec spec, Tensor dx) {
        begin();
        String op = "maxPoolBackward";
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor ts = own(op, "switches", switches, DataType.INT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        notNull(op, "spec", spec);
        Shape out = spec.outputShape(op, tdx.shape());
        sameShape(op, "dy", tdy, out);
        sameShape(op, "switches", ts, out);
        pooling.maxBackward(tdy, ts, spec, out, tdx);
    }

    @Override
    public void avgPoolForward(Tensor x, PoolSpec spec, Tensor y) {
        begin();
        String op = "avgPoolForward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        notNull(op, "spec", spec);
        Shape out = spec.outputShape(op, tx.shape());
        sameShape(op, "y", ty, out);
        pooling.avgForward(tx, spec, out, ty);
    }

    @Override
    public void avgPoolBackward(Tensor dy, PoolSpec spec, Tensor dx) {
        begin();
        String op = "avgPoolBackward";
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        notNull(op, "spec", spec);
        Shape out = spec.outputShape(op, tdx.shape());
        sameShape(op, "dy", tdy, out);
        pooling.avgBackward(tdy, spec, out, tdx);
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        begin();
        String op = "activationForward";
        notNull(op, "f", f);
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        sameSize(op, "y", ty, tx.size(), "the size of x " + tx.shape());
        activation.forward(f, tx, ty);
    }

    @Override
    public void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        begin();
        String op = "activationBackward";
        notNull(op, "f", f);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        sameSize(op, "dy", tdy, ty.size(), "the size of y " + ty.shape());
        sameSize(op, "dx", tdx, ty.size(), "the size of y " + ty.shape());
        activation.backward(f, ty, tdy, tdx);
    }

    // ---------------------------------------------------------------- loss

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        begin();
        String op = "softmaxCrossEntropyForward";
        CudaTensor tl = own(op, "logits", logits, DataType.FLOAT32);
        CudaTensor tlab = own(op, "labels", labels, DataType.INT32);
        CudaTensor tp = own(op, "probs", probs, DataType.FLOAT32);
        CudaTensor tloss = own(op, "loss", loss, DataType.FLOAT32);
        int n = tl.shape().n();
        int k = tl.shape().sizePerItem();
        sameSize(op, "labels", tlab, n, "one per row of logits " + tl.shape());
        sameSize(op, "probs", tp, tl.size(), "the size of logits " + tl.shape());
        sameSize(op, "loss", tloss, 1, "one value");
        softmaxLoss.forward(tl, tlab, tp, tloss, n, k);
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits) {
        begin();
        String op = "softmaxCrossEntropyBackward";
        CudaTensor tp = own(op, "probs", probs, DataType.FLOAT32);
        CudaTensor tlab = own(op, "labels", labels, DataType.INT32);
        CudaTensor td = own(op, "dlogits", dlogits, DataType.FLOAT32);
        int n = tp.shape().n();
        int k = tp.shape().sizePerItem();
        sameSize(op, "labels", tlab, n, "one per row of probs " + tp.shape());
        sameSize(op, "dlogits", td, tp.size(), "the size of probs " + tp.shape());
        softmaxLoss.backward(tp, tlab, td, n, k);
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        begin();
        String op = "argmax";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor to = own(op, "out", out, DataType.INT32);
        int n = tx.shape().n();
        sameSize(op, "out", to, n, "one per row of x " + tx.shape());
        softmaxLoss.argmax(tx, to, n, tx.shape().sizePerItem());
    }

    // ---------------------------------------------------------------- regularization

    @Override
    public void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        begin();
        String op = "dropoutForward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tm = own(op, "mask", mask, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException(op + ": p must be in [0, 1), got " + p);
        }
        sameSize(op, "mask", tm, tx.size(), "the size of x " + tx.shape());
        sameSize(op, "y", ty, tx.size(), "the size of x " + tx.shape());
        dropout.forward(tx, p, seed, tm, ty);
    }

    @Override
    public void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        begin();
        String op = "dropoutBackward";
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tm = own(op, "mask", mask, DataType.FLOAT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        sameSize(op, "mask", tm, tdy.size(), "the size of dy " + tdy.shape());
        sameSize(op, "dx", tdx, tdy.size(), "the size of dy " + tdy.shape());
        dropout.backward(tdy, tm, tdx);
    }

    /** N, C and the product of the remaining dimensions of a rank >= 2 tensor. */
    private static int[] nChw(Shape s) {
        int n = s.dim(0);
        int c = s.dim(1);
        return new int[] {n, c, s.size() / (n * c)};
    }

    @Override
    public void lrnForward(Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        begin();
        String op = "lrnForward";
        notNull(op, "spec", spec);
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ts = own(op, "scale", scale, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        minRank(op, "x", tx, 2);
        sameShape(op, "scale", ts, tx.shape());
        sameShape(op, "y", ty, tx.shape());
        int[] d = nChw(tx.shape());
        normalization.lrnForward(tx, spec, ts, ty, d[0], d[1], d[2]);
    }

    @Override
    public void lrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        begin();
        String op = "lrnBackward";
        notNull(op, "spec", spec);
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        CudaTensor ts = own(op, "scale", scale, DataType.FLOAT32);
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        minRank(op, "x", tx, 2);
        for (CudaTensor t : new CudaTensor[] {ty, ts, tdy, tdx}) {
            sameShape(op, "every tensor", t, tx.shape());
        }
        int[] d = nChw(tx.shape());
        normalization.lrnBackward(tx, ty, ts, tdy, spec, tdx, d[0], d[1], d[2]);
    }

    private int[] batchNormShape(String op, CudaTensor x, Tensor... perChannel) {
        int r = x.shape().rank();
        if (r != 2 && r != 4) {
            throw new IllegalArgumentException(op + ": x must be [N,C,H,W] or [N,C], got " + x.shape());
        }
        int[] d = nChw(x.shape());
        for (Tensor t : perChannel) {
            sameShape(op, "per-channel tensor", own(op, "per-channel tensor", t, DataType.FLOAT32), Shape.of(d[1]));
        }
        return d;
    }

    @Override
    public void batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                         Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                         Tensor y) {
        begin();
        String op = "batchNormForwardTraining";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        sameShape(op, "y", ty, tx.shape());
        int[] d = batchNormShape(op, tx, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        normalization.batchNormForwardTraining(tx, gamma, beta, momentum, eps, runningMean, runningVar, saveMean,
                saveInvStd, ty, d[0], d[1], d[2]);
    }

    @Override
    public void batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                          Tensor runningVar, float eps, Tensor y) {
        begin();
        String op = "batchNormForwardInference";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        sameShape(op, "y", ty, tx.shape());
        int[] d = batchNormShape(op, tx, gamma, beta, runningMean, runningVar);
        normalization.batchNormForwardInference(tx, gamma, beta, runningMean, runningVar, eps, ty, d[0], d[1], d[2]);
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        begin();
        String op = "batchNormBackward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        sameShape(op, "dy", tdy, tx.shape());
        sameShape(op, "dx", tdx, tx.shape());
        int[] d = batchNormShape(op, tx, gamma, saveMean, saveInvStd, dgamma, dbeta);
        normalization.batchNormBackward(tx, tdy, gamma, saveMean, saveInvStd, tdx, dgamma, dbeta, d[0], d[1], d[2]);
    }

    // ---------------------------------------------------------------- optimizer updates

    private CudaTensor[] optimizerTensors(String op, Tensor param, Tensor... state) {
        CudaTensor p = own(op, "param", param, DataType.FLOAT32);
        CudaTensor[] out = new CudaTensor[state.length + 1];
        out[0] = p;
        for (int i = 0; i < state.length; i++) {
            out[i + 1] = own(op, "gradient/state", state[i], DataType.FLOAT32);
            sameSize(op, "gradient/state", out[i + 1], p.size(), "the size of param " + p.shape());
        }
        return out;
    }

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        begin();
        CudaTensor[] t = optimizerTensors("sgdUpdate", param, grad);
        optimizers.sgd(t[0], t[1], lr, weightDecay);
    }

    @Override
    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                               float weightDecay, boolean nesterov) {
        begin();
        CudaTensor[] t = optimizerTensors("momentumUpdate", param, grad, velocity);
        optimizers.momentum(t[0], t[1], t[2], lr, momentum, weightDecay, nesterov);
    }

    @Override
    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        begin();
        CudaTensor[] t = optimizerTensors("adagradUpdate", param, grad, sumSquares);
        optimizers.adagrad(t[0], t[1], t[2], lr, eps, weightDecay);
    }

    @Override
    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        begin();
        CudaTensor[] t = optimizerTensors("rmspropUpdate", param, grad, meanSquare);
        optimizers.rmsprop(t[0], t[1], t[2], lr, decay, eps, weightDecay);
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        begin();
        if (step < 1) {
            throw new IllegalArgumentException("adamUpdate: step starts at 1, got " + step);
        }
        CudaTensor[] t = optimizerTensors("adamUpdate", param, grad, m, v);
        optimizers.adam(t[0], t[1], t[2], t[3], lr, beta1, beta2, eps, weightDecay, step);
    }

    // ---------------------------------------------------------------- plumbing

    /** Checks the backend is open and binds its context to the calling thread. */
    private void begin() {
        if (closed) {
            throw new IllegalStateException("CUDA backend used after close");
        }
        device.makeCurrent();
    }

    /** t as a CudaTensor of this backend, open, of the given type (null: any). */
    private CudaTensor own(String op, String what, Tensor t, DataType type) {
        notNull(op, what, t);
        if (!(t instanceof CudaTensor ct) || ct.owner() != this) {
            throw new IllegalArgumentException(op + ": " + what + " " + t + " does not belong to this CUDA backend");
        }
        t.checkOpen();
        if (type != null) {
            type(op, what, t, type);
        }
        return ct;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            device.synchronize();
        } finally {
            closed = true;
            workspace.forget();
            try {
                gemm.close();
                pool.close();
            } finally {
                releaseDevice.run();
            }
        }
    }
}
