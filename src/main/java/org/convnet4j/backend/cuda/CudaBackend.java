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
 * {@link DevicePool}; convolution reuses one column workspace from it, bounded by
 * {@value #MAX_WORKSPACE_BYTES} bytes where a chunk of one image allows, and the softmax cross-entropy
 * forward keeps its per-row losses there before their mean.
 *
 * <p>Convolution, a chunk of B images at a time (as many as fit the workspace): im2col into one column
 * matrix col [C*FH*FW, B*OH*OW] for the whole chunk, ONE SGEMM yT [FN, B*OH*OW] = W [FN, C*FH*FW] * col,
 * then a copy of yT into NCHW that adds the bias on the way. Backward data: dy's chunk copied to
 * dyT [FN, B*OH*OW], col = W^T * dyT (one SGEMM), then col2im (a gather, deterministic). Backward filter:
 * dyT and col as above, then dW += dyT * col^T, one SGEMM with K = B*OH*OW accumulating straight into dW
 * (beta 1; deterministic for a given chunk size), or, for a GEMM provider that does not split a long K
 * itself ({@link GemmProvider#kSlices}), K in slices whose products are summed in order.
 */
public final class CudaBackend implements Backend {
    /** Column workspace bound: chunks of images are sized to stay under it. */
    static final long MAX_WORKSPACE_BYTES = 256L << 20;

    private final DeviceOps device;
    private final DevicePool pool;
    private final KernelLauncher launcher;
    private final GemmProvider gemm;
    private final List<String> gemmAttempts;
    private final String kernelTargets;
    private final Runnable releaseDevice;
    private DevicePool.Block workspace;
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
        ConvGeometry g = new ConvGeometry(x, w, y, spec);
        long perImage = g.bytesPerImage();
        return perImage * g.chunk(perImage);
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
        device.upload(src, d.address());
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        begin();
        CudaTensor d = own("upload", "dst", dst, DataType.INT32);
        hostLength("upload", src.length, d);
        device.upload(src, d.address());
    }

    @Override
    public void download(Tensor src, float[] dst) {
        begin();
        CudaTensor s = own("download", "src", src, DataType.FLOAT32);
        hostLength("download", dst.length, s);
        device.download(s.address(), dst);
    }

    @Override
    public void download(Tensor src, int[] dst) {
        begin();
        CudaTensor s = own("download", "src", src, DataType.INT32);
        hostLength("download", dst.length, s);
        device.download(s.address(), dst);
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
        launcher.launch("fill_f32", x.size(), x, x.size(), value);
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
        if (s.address() != d.address()) {
            device.copy(s.address(), d.address(), s.bytes());
        }
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
        gemm.sgemmStridedBatched(transposeA, transposeB, m, n, k, alpha, ta.address(), ta.shape().dim(1), 0,
                tb.address(), tb.shape().dim(1), 0, beta, tc.address(), n, 0, 1);
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
        gemm.sgemmStridedBatched(false, true, n, m, k, 1f, tx.address(), k, 0, tw.address(), k, 0, 0f,
                ty.address(), m, 0, 1);
        if (tb != null) {
            launcher.launch("add_bias_f32", ty.size(), ty, tb, ty.size(), m, 1);
        }
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
        if (tdx != null) { // dx [N,K] = dy [N,M] * w [M,K]
            gemm.sgemmStridedBatched(false, false, n, k, m, 1f, tdy.address(), m, 0, tw.address(), k, 0, 0f,
                    tdx.address(), k, 0, 1);
        }
        // dw [M,K] += dy^T [M,N] * x [N,K]
        gemm.sgemmStridedBatched(true, false, m, k, n, 1f, tdy.address(), m, 0, tx.address(), k, 0, 1f,
                tdw.address(), k, 0, 1);
        if (tdb != null) {
            launchBiasGradient(tdy, tdb, n, m, 1);
        }
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
        launcher.launch("add_bias_f32", ty.size(), ty, tb, ty.size(), channels, spatial);
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
        launchBiasGradient(tdy, tdb, tdy.shape().n(), channels, tdy.size() / (tdy.shape().n() * channels));
    }

    /** dbias[c] += sum over n and spatial of dy: one block per channel, a fixed-order tree reduction. */
    private void launchBiasGradient(CudaTensor dy, CudaTensor dbias, int n, int channels, int spatial) {
        launcher.launchGrid("bias_grad_f32", channels, 1, 1, KernelLauncher.BLOCK, 0, dy, dbias, n, channels, spatial);
    }

    // ---------------------------------------------------------------- convolution

    /** The sizes of one convolution and how many images a workspace chunk holds. */
    private record ConvGeometry(int n, int c, int h, int w, int fn, int fh, int fw, int oh, int ow, ConvSpec spec) {
        ConvGeometry(Shape x, Shape wt, Shape y, ConvSpec spec) {
            this(x.dim(0), x.dim(1), x.dim(2), x.dim(3), wt.dim(0), wt.dim(2), wt.dim(3), y.dim(2), y.dim(3), spec);
        }

        /** Rows of the column matrix: C*FH*FW. */
        int ck() {
            return c * fh * fw;
        }

        /** Columns of the column matrix: OH*OW. */
        int p() {
            return oh * ow;
        }

        long colBytesPerImage() {
            return 4L * ck() * p();
        }

        /** Workspace per image of a chunk: its columns and its output (or dy) in the channel-major layout. */
        long bytesPerImage() {
            return colBytesPerImage() + 4L * fn * p();
        }

        /** Images per chunk: as many as fit under MAX_WORKSPACE_BYTES, at least 1, at most N. */
        int chunk(long bytesPerImage) {
            return (int) Math.max(1, Math.min(n, MAX_WORKSPACE_BYTES / bytesPerImage));
        }

        /** The int arguments of im2col_f32 and col2im_f32 after the pointers and the image count. */
        Object[] kernelArgs(long from, long to, int images) {
            return new Object[] {from, to, images, c, h, w, fh, fw, oh, ow, spec.strideH(), spec.strideW(),
                    spec.padH(), spec.padW(), spec.dilationH(), spec.dilationW()};
        }
    }

    private ConvGeometry convGeometry(String op, CudaTensor x, Shape wShape, ConvSpec spec, CudaTensor y) {
        notNull(op, "spec", spec);
        Shape expected = spec.outputShape(op, x.shape(), wShape);
        sameShape(op, op.equals("conv2dForward") ? "y" : "dy", y, expected);
        return new ConvGeometry(x.shape(), wShape, expected, spec);
    }

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
        begin();
        String op = "conv2dForward";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tw = own(op, "w", w, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        ConvGeometry g = convGeometry(op, tx, tw.shape(), spec, ty);
        CudaTensor tb = bias == null ? null : own(op, "bias", bias, DataType.FLOAT32);
        if (tb != null) {
            sameShape(op, "bias", tb, Shape.of(g.fn()));
        }
        int ck = g.ck();
        int p = g.p();
        int chunk = g.chunk(g.bytesPerImage());
        long col = workspace(g.bytesPerImage() * chunk);
        long yT = col + g.colBytesPerImage() * chunk;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int columns = images * p;
            long xAt = tx.address() + 4L * n0 * g.c() * g.h() * g.w();
            launcher.launch("im2col_f32", (long) images * g.c() * p, g.kernelArgs(xAt, col, images));
            // yT [FN, B*P] = W [FN, CK] * col [CK, B*P]
            gemm.sgemmStridedBatched(false, false, g.fn(), columns, ck, 1f, tw.address(), ck, 0, col, columns, 0,
                    0f, yT, columns, 0, 1);
            // y [B, FN, P] = yT [FN, B, P] + bias
            launcher.launch("cnhw_to_nchw_f32", (long) g.fn() * columns, yT, tb == null ? (Object) 0L : tb,
                    ty.address() + 4L * n0 * g.fn() * p, images, g.fn(), p);
        }
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
        begin();
        String op = "conv2dBackwardData";
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tw = own(op, "w", w, DataType.FLOAT32);
        CudaTensor tdx = own(op, "dx", dx, DataType.FLOAT32);
        ConvGeometry g = convGeometry(op, tdx, tw.shape(), spec, tdy);
        int ck = g.ck();
        int p = g.p();
        int chunk = g.chunk(g.bytesPerImage());
        long col = workspace(g.bytesPerImage() * chunk);
        long dyT = col + g.colBytesPerImage() * chunk;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int columns = images * p;
            launcher.launch("nchw_to_cnhw_f32", (long) g.fn() * columns, tdy.address() + 4L * n0 * g.fn() * p, dyT,
                    images, g.fn(), p);
            // col [CK, B*P] = W^T [CK, FN] * dyT [FN, B*P]
            gemm.sgemmStridedBatched(true, false, ck, columns, g.fn(), 1f, tw.address(), ck, 0, dyT, columns, 0,
                    0f, col, columns, 0, 1);
            long dxAt = tdx.address() + 4L * n0 * g.c() * g.h() * g.w();
            launcher.launch("col2im_f32", (long) images * g.c() * g.h() * g.w(), g.kernelArgs(col, dxAt, images));
        }
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias) {
        begin();
        String op = "conv2dBackwardFilter";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor tdy = own(op, "dy", dy, DataType.FLOAT32);
        CudaTensor tdw = own(op, "dw", dw, DataType.FLOAT32);
        ConvGeometry g = convGeometry(op, tx, tdw.shape(), spec, tdy);
        CudaTensor tdb = dbias == null ? null : own(op, "dbias", dbias, DataType.FLOAT32);
        if (tdb != null) {
            sameShape(op, "dbias", tdb, Shape.of(g.fn()));
        }
        int ck = g.ck();
        int p = g.p();
        int fn = g.fn();
        int chunk = g.chunk(g.bytesPerImage());
        int maxSlices = gemm.kSlices(fn, ck, chunk * p);
        long col = workspace(g.bytesPerImage() * chunk + (maxSlices > 1 ? 4L * maxSlices * fn * ck : 0));
        long dyT = col + g.colBytesPerImage() * chunk;
        long partial = dyT + 4L * fn * p * chunk;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int columns = images * p;
            launcher.launch("nchw_to_cnhw_f32", (long) fn * columns, tdy.address() + 4L * n0 * fn * p, dyT,
                    images, fn, p);
            long xAt = tx.address() + 4L * n0 * g.c() * g.h() * g.w();
            launcher.launch("im2col_f32", (long) images * g.c() * p, g.kernelArgs(xAt, col, images));
            int slices = Math.min(maxSlices, gemm.kSlices(fn, ck, columns));
            if (slices <= 1) {
                // dW [FN, CK] += dyT [FN, B*P] * col^T [B*P, CK]: the sum over the chunk's images is the GEMM's K
                gemm.sgemmStridedBatched(false, true, fn, ck, columns, 1f, dyT, columns, 0, col, columns, 0,
                        1f, tdw.address(), ck, 0, 1);
            } else {
                filterGradientInSlices(fn, ck, columns, slices, dyT, col, partial, tdw);
            }
        }
        if (tdb != null) {
            launchBiasGradient(tdy, tdb, g.n(), g.fn(), p);
        }
    }

    /**
     * dW += dyT * col^T with K cut into slices (for a GEMM provider that does not split K itself): partial_j =
     * the product over columns [j*L, (j+1)*L), a strided batch of equal slices plus one shorter last slice,
     * then dW += the partials summed in slice order (deterministic).
     */
    private void filterGradientInSlices(int fn, int ck, int columns, int slices, long dyT, long col, long partial,
                                        CudaTensor dw) {
        int length = (int) KernelLauncher.ceilDiv(columns, slices);
        int full = columns / length;
        int rest = columns - full * length;
        long partialSize = (long) fn * ck;
        gemm.sgemmStridedBatched(false, true, fn, ck, length, 1f, dyT, columns, length, col, columns, length,
                0f, partial, ck, partialSize, full);
        if (rest > 0) {
            long offset = 4L * full * length;
            gemm.sgemmStridedBatched(false, true, fn, ck, rest, 1f, dyT + offset, columns, 0, col + offset, columns,
                    0, 0f, partial + 4L * full * partialSize, ck, 0, 1);
        }
        launcher.launch("sum_batches_accumulate_f32", partialSize, partial, dw, full + (rest > 0 ? 1 : 0),
                (int) partialSize);
    }

    /** The address of a workspace of at least bytes, kept between ops and grown (through the pool) when needed. */
    private long workspace(long bytes) {
        if (workspace == null || workspace.requestedBytes() < bytes) {
            if (workspace != null) {
                pool.release(workspace);
                workspace = null;
            }
            workspace = pool.acquire(bytes);
        }
        return workspace.address();
    }

    // ---------------------------------------------------------------- pooling

    private Object[] poolArgs(Object a, Object b, Object c, Shape x, Shape y, PoolSpec s) {
        return new Object[] {a, b, c, x.dim(0), x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3),
                s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padH(), s.padW()};
    }

    private static Object[] dropLast(Object[] args) {
        Object[] out = new Object[args.length - 1];
        out[0] = args[0];
        out[1] = args[1];
        System.arraycopy(args, 3, out, 2, args.length - 3);
        return out;
    }

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
        launcher.launch("maxpool_forward_f32", ty.size(), poolArgs(tx, ty, ts, tx.shape(), out, spec));
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
        launcher.launch("maxpool_backward_f32", tdx.size(), poolArgs(tdy, ts, tdx, tdx.shape(), out, spec));
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
        launcher.launch("avgpool_forward_f32", ty.size(), dropLast(poolArgs(tx, ty, null, tx.shape(), out, spec)));
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
        launcher.launch("avgpool_backward_f32", tdx.size(),
                dropLast(poolArgs(tdy, tdx, null, tdx.shape(), out, spec)));
    }

    // ---------------------------------------------------------------- activations

    private static String activationKernel(Activation f, String direction) {
        return switch (f) {
            case RELU -> "relu_" + direction + "_f32";
            case SIGMOID -> "sigmoid_" + direction + "_f32";
            case TANH -> "tanh_" + direction + "_f32";
        };
    }

    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        begin();
        String op = "activationForward";
        notNull(op, "f", f);
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor ty = own(op, "y", y, DataType.FLOAT32);
        sameSize(op, "y", ty, tx.size(), "the size of x " + tx.shape());
        launcher.launch(activationKernel(f, "forward"), tx.size(), tx, ty, tx.size());
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
        launcher.launch(activationKernel(f, "backward"), ty.size(), ty, tdy, tdx, ty.size());
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
        // one block per row writes the row losses into the workspace; one block then takes their mean in a fixed order
        long rowLoss = workspace(4L * n);
        launcher.launchGrid("softmax_xent_rows_f32", (int) Math.min(n, KernelLauncher.MAX_BLOCKS), 1, 1,
                KernelLauncher.BLOCK, 0, tl, tlab, tp, rowLoss, n, k);
        launcher.launchGrid("mean_f32", 1, 1, 1, KernelLauncher.BLOCK, 0, rowLoss, tloss, n);
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
        launcher.launch("softmax_xent_backward_f32", tp.size(), tp, tlab, td, n, k);
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        begin();
        String op = "argmax";
        CudaTensor tx = own(op, "x", x, DataType.FLOAT32);
        CudaTensor to = own(op, "out", out, DataType.INT32);
        int n = tx.shape().n();
        sameSize(op, "out", to, n, "one per row of x " + tx.shape());
        launcher.launch("argmax_f32", n, tx, to, n, tx.shape().sizePerItem());
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
        float scale = 1f / (1f - p); // the same float expression as DropoutMask.value
        launcher.launch("dropout_forward_f32", tx.size(), tx, tm, ty, tx.size(), seed, p, scale);
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
        launcher.launch("dropout_backward_f32", tdy.size(), tdy, tm, tdx, tdy.size());
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
        launcher.launch("lrn_forward_f32", tx.size(), tx, ts, ty, d[0], d[1], d[2], spec.size(), spec.alpha(),
                spec.beta(), spec.k());
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
        launcher.launch("lrn_backward_f32", tx.size(), tx, ty, ts, tdy, tdx, d[0], d[1], d[2], spec.size(),
                spec.alpha(), spec.beta());
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
        launcher.launchGrid("batchnorm_forward_training_f32", d[1], 1, 1, KernelLauncher.BLOCK, 0, tx, gamma, beta,
                ty, runningMean, runningVar, saveMean, saveInvStd, d[0], d[1], d[2], momentum, eps);
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
        launcher.launch("batchnorm_forward_inference_f32", tx.size(), tx, gamma, beta, runningMean, runningVar, ty,
                d[0], d[1], d[2], eps);
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
        launcher.launchGrid("batchnorm_backward_f32", d[1], 1, 1, KernelLauncher.BLOCK, 0, tx, tdy, gamma, saveMean,
                saveInvStd, tdx, dgamma, dbeta, d[0], d[1], d[2]);
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
        launcher.launch("sgd_update_f32", t[0].size(), t[0], t[1], t[0].size(), lr, weightDecay);
    }

    @Override
    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                               float weightDecay, boolean nesterov) {
        begin();
        CudaTensor[] t = optimizerTensors("momentumUpdate", param, grad, velocity);
        launcher.launch("momentum_update_f32", t[0].size(), t[0], t[1], t[2], t[0].size(), lr, momentum, weightDecay,
                nesterov ? 1 : 0);
    }

    @Override
    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        begin();
        CudaTensor[] t = optimizerTensors("adagradUpdate", param, grad, sumSquares);
        launcher.launch("adagrad_update_f32", t[0].size(), t[0], t[1], t[2], t[0].size(), lr, eps, weightDecay);
    }

    @Override
    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        begin();
        CudaTensor[] t = optimizerTensors("rmspropUpdate", param, grad, meanSquare);
        launcher.launch("rmsprop_update_f32", t[0].size(), t[0], t[1], t[2], t[0].size(), lr, decay, eps,
                weightDecay);
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        begin();
        if (step < 1) {
            throw new IllegalArgumentException("adamUpdate: step starts at 1, got " + step);
        }
        CudaTensor[] t = optimizerTensors("adamUpdate", param, grad, m, v);
        float correction1 = (float) (1 - Math.pow(beta1, step));
        float correction2 = (float) (1 - Math.pow(beta2, step));
        launcher.launch("adam_update_f32", t[0].size(), t[0], t[1], t[2], t[3], t[0].size(), lr, beta1, beta2, eps,
                weightDecay, correction1, correction2);
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
            workspace = null;
            try {
                gemm.close();
                pool.close();
            } finally {
                releaseDevice.run();
            }
        }
    }
}
