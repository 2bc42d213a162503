package org.convnet4j.backend.cpu;

import java.util.Arrays;
import org.convnet4j.backend.Activation;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.DropoutMask;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.PoolSpec;
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
 * thread at a time (its workspaces are shared between calls).
 *
 * <p>Choices where the interface leaves room: max pooling propagates NaN (a NaN in a window is its
 * maximum, the first one wins); ReLU maps NaN to 0 ({@code x > 0 ? x : 0}); softmax loss is computed
 * as the log-sum-exp in double, so logits of +-1000 give a finite loss; batch norm sums in double and
 * rejects a channel with a single value (no unbiased variance), as PyTorch does.
 */
public final class CpuBackend implements Backend {
    /** Floats of column matrices the filter gradient may hold at once (32 MiB): bounds its chunk of images. */
    private static final int FILTER_CHUNK_FLOATS = 8 << 20;
    /** Element-wise ops smaller than this run on one thread. */
    private static final int PARALLEL_ELEMENTS = 1 << 15;

    private final CpuThreads threads;
    private final MemoryCounter memory = new MemoryCounter();
    private final CpuGemm gemm;
    /** Per-part column buffers (forward and backward data), per-part scratch, and the filter chunk. */
    private final float[][] columns;
    private final float[][] scratch;
    private float[] filterChunk = new float[0];
    private volatile boolean closed;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend splitting work over {@code threads} threads (1 runs everything on the caller). */
    public CpuBackend(int threads) {
        this.threads = new CpuThreads(threads);
        this.gemm = new CpuGemm(this.threads, memory);
        this.columns = new float[threads][];
        this.scratch = new float[threads][];
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "cpu: plain Java, " + threads.threads() + " thread" + (threads.threads() == 1 ? "" : "s")
                + ", im2col + blocked SGEMM";
    }

    /** Number of threads ops are split over. */
    public int threads() {
        return threads.threads();
    }

    // ================================================================ memory

    @Override
    public Tensor allocate(Shape shape, DataType dataType) {
        checkBackendOpen("allocate");
        if (shape == null || dataType == null) {
            throw new IllegalArgumentException("allocate: shape and data type must not be null, got "
                    + shape + " " + dataType);
        }
        CpuTensor t = new CpuTensor(this, shape, dataType);
        memory.allocated(t.ownedBytes());
        return t;
    }

    /** Called once when a root tensor closes. */
    void released(CpuTensor t) {
        memory.freed(t.ownedBytes());
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        CpuTensor d = floatTensor("upload", "dst", dst);
        checkLength("upload", src == null ? -1 : src.length, d);
        System.arraycopy(src, 0, d.floats(), 0, src.length);
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        CpuTensor d = intTensor("upload", "dst", dst);
        checkLength("upload", src == null ? -1 : src.length, d);
        System.arraycopy(src, 0, d.ints(), 0, src.length);
    }

    @Override
    public void download(Tensor src, float[] dst) {
        CpuTensor s = floatTensor("download", "src", src);
        checkLength("download", dst == null ? -1 : dst.length, s);
        System.arraycopy(s.floats(), 0, dst, 0, dst.length);
    }

    @Override
    public void download(Tensor src, int[] dst) {
        CpuTensor s = intTensor("download", "src", src);
        checkLength("download", dst == null ? -1 : dst.length, s);
        System.arraycopy(s.ints(), 0, dst, 0, dst.length);
    }

    @Override
    public void fill(Tensor t, float value) {
        CpuTensor x = floatTensor("fill", "t", t);
        Arrays.fill(x.floats(), value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        CpuTensor s = cpu("copy", "src", src);
        CpuTensor d = cpu("copy", "dst", dst);
        if (s.dataType() != d.dataType() || s.size() != d.size()) {
            throw new IllegalArgumentException("copy: src " + s.shape() + " " + s.dataType() + " and dst "
                    + d.shape() + " " + d.dataType() + " must have the same size and data type");
        }
        if (s.dataType() == DataType.FLOAT32) {
            System.arraycopy(s.floats(), 0, d.floats(), 0, s.size());
        } else {
            System.arraycopy(s.ints(), 0, d.ints(), 0, s.size());
        }
    }

    @Override
    public void synchronize() {
        checkBackendOpen("synchronize");
    }

    @Override
    public MemoryStats memoryStats() {
        return memory.snapshot();
    }

    // ================================================================ dense algebra

    @Override
    public void gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha, float beta) {
        String op = "gemm";
        CpuTensor ta = floatTensor(op, "a", a);
        CpuTensor tb = floatTensor(op, "b", b);
        CpuTensor tc = floatTensor(op, "c", c);
        requireRank(op, "a", ta, 2);
        requireRank(op, "b", tb, 2);
        requireRank(op, "c", tc, 2);
        int m = transposeA ? ta.shape().dim(1) : ta.shape().dim(0);
        int k = transposeA ? ta.shape().dim(0) : ta.shape().dim(1);
        int kb = transposeB ? tb.shape().dim(1) : tb.shape().dim(0);
        int n = transposeB ? tb.shape().dim(0) : tb.shape().dim(1);
        if (k != kb || tc.shape().dim(0) != m || tc.shape().dim(1) != n) {
            throw new IllegalArgumentException(op + ": op(a) " + (transposeA ? "(a transposed) " : "") + "is [" + m
                    + ", " + k + "] from a " + ta.shape() + ", op(b) " + (transposeB ? "(b transposed) " : "") + "is ["
                    + kb + ", " + n + "] from b " + tb.shape() + ", so c must be [" + m + ", " + n
                    + "] with matching inner sizes; got c " + tc.shape());
        }
        gemm.gemm(transposeA, transposeB, m, n, k, alpha, ta.floats(), 0, ta.shape().dim(1),
                tb.floats(), 0, tb.shape().dim(1), beta, tc.floats(), 0, n);
    }

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        String op = "linearForward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor tw = floatTensor(op, "w", w);
        CpuTensor tb = bias == null ? null : floatTensor(op, "bias", bias);
        CpuTensor ty = floatTensor(op, "y", y);
        requireMinRank(op, "x", tx, 2);
        requireRank(op, "w", tw, 2);
        int n = tx.shape().n();
        int k = tx.shape().sizePerItem();
        int m = tw.shape().dim(0);
        if (tw.shape().dim(1) != k) {
            throw new IllegalArgumentException(op + ": x " + tx.shape() + " has " + k + " features per item but w "
                    + tw.shape() + " expects " + tw.shape().dim(1) + " (w is [outputs, inputs])");
        }
        if (tb != null) {
            requireShape(op, "bias", tb, Shape.of(m));
        }
        requireShape(op, "y", ty, Shape.of(n, m));
        gemm.gemm(false, true, n, m, k, 1f, tx.floats(), 0, k, tw.floats(), 0, k, 0f, ty.floats(), 0, m);
        if (tb != null) {
            float[] yv = ty.floats();
            float[] bv = tb.floats();
            for (int i = 0; i < n; i++) {
                int row = i * m;
                for (int j = 0; j < m; j++) {
                    yv[row + j] += bv[j];
                }
            }
        }
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        String op = "linearBackward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor tw = floatTensor(op, "w", w);
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tdx = dx == null ? null : floatTensor(op, "dx", dx);
        CpuTensor tdw = floatTensor(op, "dw", dw);
        CpuTensor tdb = dbias == null ? null : floatTensor(op, "dbias", dbias);
        requireMinRank(op, "x", tx, 2);
        requireRank(op, "w", tw, 2);
        int n = tx.shape().n();
        int k = tx.shape().sizePerItem();
        int m = tw.shape().dim(0);
        if (tw.shape().dim(1) != k) {
            throw new IllegalArgumentException(op + ": x " + tx.shape() + " has " + k + " features per item but w "
                    + tw.shape() + " expects " + tw.shape().dim(1));
        }
        requireShape(op, "dy", tdy, Shape.of(n, m));
        requireShape(op, "dw", tdw, tw.shape());
        if (tdx != null) {
            requireShape(op, "dx", tdx, tx.shape());
        }
        if (tdb != null) {
            requireShape(op, "dbias", tdb, Shape.of(m));
        }
        if (tdx != null) {
            gemm.gemm(false, false, n, k, m, 1f, tdy.floats(), 0, m, tw.floats(), 0, k, 0f, tdx.floats(), 0, k);
        }
        gemm.gemm(true, false, m, k, n, 1f, tdy.floats(), 0, m, tx.floats(), 0, k, 1f, tdw.floats(), 0, k);
        if (tdb != null) {
            float[] g = tdy.floats();
            float[] db = tdb.floats();
            for (int j = 0; j < m; j++) {
                float s = 0f;
                for (int i = 0; i < n; i++) {
                    s += g[i * m + j];
                }
                db[j] += s;
            }
        }
    }

    @Override
    public void addBias(Tensor y, Tensor bias) {
        String op = "addBias";
        CpuTensor ty = floatTensor(op, "y", y);
        CpuTensor tb = floatTensor(op, "bias", bias);
        requireMinRank(op, "y", ty, 2);
        int channels = ty.shape().dim(1);
        requireShape(op, "bias", tb, Shape.of(channels));
        int inner = ty.size() / (ty.shape().n() * channels);
        float[] yv = ty.floats();
        float[] bv = tb.floats();
        threads.parallelFor(ty.shape().n() * channels, (part, p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                float b = bv[p % channels];
                int off = p * inner;
                for (int i = 0; i < inner; i++) {
                    yv[off + i] += b;
                }
            }
        });
    }

    @Override
    public void biasGradient(Tensor dy, Tensor dbias) {
        String op = "biasGradient";
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tdb = floatTensor(op, "dbias", dbias);
        requireMinRank(op, "dy", tdy, 2);
        int channels = tdy.shape().dim(1);
        requireShape(op, "dbias", tdb, Shape.of(channels));
        int n = tdy.shape().n();
        int inner = tdy.size() / (n * channels);
        channelSums(tdy.floats(), n, channels, inner, tdb.floats());
    }

    /** db[c] += sum over n, then i, of g[(n*channels + c)*inner + i]; split over channels. */
    private void channelSums(float[] g, int n, int channels, int inner, float[] db) {
        threads.parallelFor(channels, (part, c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                float s = 0f;
                for (int i = 0; i < n; i++) {
                    int off = (i * channels + c) * inner;
                    for (int j = 0; j < inner; j++) {
                        s += g[off + j];
                    }
                }
                db[c] += s;
            }
        });
    }

    // ================================================================ convolution

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
        String op = "conv2dForward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor tw = floatTensor(op, "w", w);
        CpuTensor tb = bias == null ? null : floatTensor(op, "bias", bias);
        CpuTensor ty = floatTensor(op, "y", y);
        requireSpec(op, spec);
        Shape out = spec.outputShape(op, tx.shape(), tw.shape());
        requireShape(op, "y", ty, out);
        int fn = tw.shape().dim(0);
        if (tb != null) {
            requireShape(op, "bias", tb, Shape.of(fn));
        }
        Im2col.Geometry g = geometry(tx.shape(), tw.shape(), out, spec);
        int rows = g.colRows();
        int p = g.colCols();
        int imageIn = g.c() * g.h() * g.w();
        float[] xv = tx.floats();
        float[] wv = tw.floats();
        float[] yv = ty.floats();
        float[] bv = tb == null ? null : tb.floats();
        threads.parallelFor(tx.shape().n(), (part, n0, n1) -> {
            float[] col = g.isIdentity() ? null : columns(part, rows * p);
            for (int n = n0; n < n1; n++) {
                float[] src = xv;
                int srcOff = n * imageIn;
                if (col != null) {
                    Im2col.im2col(g, xv, n * imageIn, col, 0);
                    src = col;
                    srcOff = 0;
                }
                int yOff = n * fn * p;
                gemm.gemmBlock(part, false, false, 0, fn, 0, p, rows, 1f, wv, 0, rows, src, srcOff, p,
                        0f, yv, yOff, p);
                if (bv != null) {
                    for (int f = 0; f < fn; f++) {
                        float b = bv[f];
                        int off = yOff + f * p;
                        for (int i = 0; i < p; i++) {
                            yv[off + i] += b;
                        }
                    }
                }
            }
        });
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
        String op = "conv2dBackwardData";
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tw = floatTensor(op, "w", w);
        CpuTensor tdx = floatTensor(op, "dx", dx);
        requireSpec(op, spec);
        Shape out = spec.outputShape(op, tdx.shape(), tw.shape());
        requireShape(op, "dy", tdy, out);
        Im2col.Geometry g = geometry(tdx.shape(), tw.shape(), out, spec);
        int fn = tw.shape().dim(0);
        int rows = g.colRows();
        int p = g.colCols();
        int imageIn = g.c() * g.h() * g.w();
        float[] dyv = tdy.floats();
        float[] wv = tw.floats();
        float[] dxv = tdx.floats();
        threads.parallelFor(tdx.shape().n(), (part, n0, n1) -> {
            float[] col = g.isIdentity() ? null : columns(part, rows * p);
            for (int n = n0; n < n1; n++) {
                int dyOff = n * fn * p;
                if (col == null) {
                    gemm.gemmBlock(part, true, false, 0, rows, 0, p, fn, 1f, wv, 0, rows, dyv, dyOff, p,
                            0f, dxv, n * imageIn, p);
                } else {
                    gemm.gemmBlock(part, true, false, 0, rows, 0, p, fn, 1f, wv, 0, rows, dyv, dyOff, p,
                            0f, col, 0, p);
                    Arrays.fill(dxv, n * imageIn, (n + 1) * imageIn, 0f);
                    Im2col.col2im(g, col, 0, dxv, n * imageIn);
                }
            }
        });
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias) {
        String op = "conv2dBackwardFilter";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tdw = floatTensor(op, "dw", dw);
        CpuTensor tdb = dbias == null ? null : floatTensor(op, "dbias", dbias);
        requireSpec(op, spec);
        Shape out = spec.outputShape(op, tx.shape(), tdw.shape());
        requireShape(op, "dy", tdy, out);
        int fn = tdw.shape().dim(0);
        if (tdb != null) {
            requireShape(op, "dbias", tdb, Shape.of(fn));
        }
        Im2col.Geometry g = geometry(tx.shape(), tdw.shape(), out, spec);
        int rows = g.colRows();
        int p = g.colCols();
        int imageIn = g.c() * g.h() * g.w();
        int n = tx.shape().n();
        float[] xv = tx.floats();
        float[] dyv = tdy.floats();
        float[] dwv = tdw.floats();
        // Images are handled in chunks whose size depends only on the shapes: im2col of the chunk in
        // parallel over images, then dW += dY_n * col_n^T for each image in order, split over dW's rows
        // (or columns when there are fewer rows than threads), so every dW element sums in image order.
        int imageCols = rows * p;
        int chunk = g.isIdentity() ? n : Math.max(1, Math.min(n, FILTER_CHUNK_FLOATS / imageCols));
        float[] cols = g.isIdentity() ? xv : filterChunk((long) chunk * imageCols);
        boolean splitRows = fn >= threads.threads();
        for (int n0 = 0; n0 < n; n0 += chunk) {
            int start = n0;
            int count = Math.min(chunk, n - n0);
            if (!g.isIdentity()) {
                threads.parallelFor(count, (part, i0, i1) -> {
                    for (int i = i0; i < i1; i++) {
                        Im2col.im2col(g, xv, (start + i) * imageIn, cols, i * imageCols);
                    }
                });
            }
            int colBase = g.isIdentity() ? start * imageCols : 0;
            threads.parallelFor(splitRows ? fn : rows, (part, r0, r1) -> {
                for (int i = 0; i < count; i++) {
                    int dyOff = (start + i) * fn * p;
                    int colOff = colBase + i * imageCols;
                    if (splitRows) {
                        gemm.gemmBlock(part, false, true, r0, r1, 0, rows, p, 1f, dyv, dyOff, p,
                                cols, colOff, p, 1f, dwv, 0, rows);
                    } else {
                        gemm.gemmBlock(part, false, true, 0, fn, r0, r1, p, 1f, dyv, dyOff, p,
                                cols, colOff, p, 1f, dwv, 0, rows);
                    }
                }
            });
        }
        if (tdb != null) {
            channelSums(dyv, n, fn, p, tdb.floats());
        }
    }

    private static Im2col.Geometry geometry(Shape x, Shape w, Shape y, ConvSpec s) {
        return new Im2col.Geometry(x.c(), x.h(), x.w(), w.dim(2), w.dim(3), y.h(), y.w(),
                s.strideH(), s.strideW(), s.padH(), s.padW(), s.dilationH(), s.dilationW());
    }

    // ================================================================ pooling

    @Override
    public void maxPoolForward(Tensor x, PoolSpec spec, Tensor y, Tensor switches) {
        String op = "maxPoolForward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor ty = floatTensor(op, "y", y);
        CpuTensor ts = intTensor(op, "switches", switches);
        requireSpec(op, spec);
        Shape out = spec.outputShape(op, tx.shape());
        requireShape(op, "y", ty, out);
        requireShape(op, "switches", ts, out);
        int h = tx.shape().h();
        int w = tx.shape().w();
        int oh = out.h();
        int ow = out.w();
        float[] xv = tx.floats();
        float[] yv = ty.floats();
        int[] sv = ts.ints();
        threads.parallelFor(out.n() * out.c(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * h * w;
                int o = plane * oh * ow;
                for (int r = 0; r < oh; r++) {
                    int hs = r * spec.strideH() - spec.padH();
                    int he = Math.min(hs + spec.kernelH(), h);
                    hs = Math.max(hs, 0);
                    for (int q = 0; q < ow; q++) {
                        int ws = q * spec.strideW() - spec.padW();
                        int we = Math.min(ws + spec.kernelW(), w);
                        ws = Math.max(ws, 0);
                        float best = 0f;
                        int arg = -1;
                        for (int i = hs; i < he; i++) {
                            for (int j = ws; j < we; j++) {
                                float v = xv[in + i * w + j];
                                if (arg < 0 || v > best || (v != v && best == best)) {
                                    best = v;
                                    arg = i * w + j;
                                }
                            }
                        }
                        yv[o + r * ow + q] = best;
                        sv[o + r * ow + q] = arg;
                    }
                }
            }
        });
    }

    @Override
    public void maxPoolBackward(Tensor dy, Tensor switches, PoolSpec spec, Tensor dx) {
        String op = "maxPoolBackward";
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor ts = intTensor(op, "switches", switches);
        CpuTensor tdx = floatTensor(op, "dx", dx);
        requireSpec(op, spec);
        Shape out = spec.outputShape(op, tdx.shape());
        requireShape(op, "dy", tdy, out);
        requireShape(op, "switches", ts, out);
        int planeIn = tdx.shape().h() * tdx.shape().w();
        int planeOut = out.h() * out.w();
        int[] sv = ts.ints();
        for (int i = 0; i < sv.length; i++) {
            if (sv[i] < 0 || sv[i] >= planeIn) {
                throw new IllegalArgumentException(op + ": switch " + i + " is " + sv[i] + ", outside the input plane "
                        + tdx.shape().h() + "x" + tdx.shape().w() + " of dx " + tdx.shape());
            }
        }
        float[] dyv = tdy.floats();
        float[] dxv = tdx.floats();
        threads.parallelFor(out.n() * out.c(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * planeIn;
                int o = plane * planeOut;
                Arrays.fill(dxv, in, in + planeIn, 0f);
                for (int i = 0; i < planeOut; i++) {
                    dxv[in + sv[o + i]] += dyv[o + i];
                }
            }
        });
    }

    @Override
    public void avgPoolForward(Tensor x, PoolSpec spec, Tensor y) {
        String op = "avgPoolForward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor ty = floatTensor(op, "y", y);
        requireSpec(op, spec);
        Shape out = spec.outputShape(op, tx.shape());
        requireShape(op, "y", ty, out);
        int h = tx.shape().h();
        int w = tx.shape().w();
        int oh = out.h();
        int ow = out.w();
        float inv = 1f / (spec.kernelH() * spec.kernelW());
        float[] xv = tx.floats();
        float[] yv = ty.floats();
        threads.parallelFor(out.n() * out.c(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * h * w;
                int o = plane * oh * ow;
                for (int r = 0; r < oh; r++) {
                    int hs = r * spec.strideH() - spec.padH();
                    int he = Math.min(hs + spec.kernelH(), h);
                    hs = Math.max(hs, 0);
                    for (int q = 0; q < ow; q++) {
                        int ws = q * spec.strideW() - spec.padW();
                        int we = Math.min(ws + spec.kernelW(), w);
                        ws = Math.max(ws, 0);
                        float s = 0f;
                        for (int i = hs; i < he; i++) {
                            for (int j = ws; j < we; j++) {
                                s += xv[in + i * w + j];
                            }
                        }
                        yv[o + r * ow + q] = s * inv;
                    }
                }
            }
        });
    }

    @Override
    public void avgPoolBackward(Tensor dy, PoolSpec spec, Tensor dx) {
        String op = "avgPoolBackward";
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tdx = floatTensor(op, "dx", dx);
        requireSpec(op, spec);
        Shape out = spec.outputShape(op, tdx.shape());
        requireShape(op, "dy", tdy, out);
        int h = tdx.shape().h();
        int w = tdx.shape().w();
        int oh = out.h();
        int ow = out.w();
        float inv = 1f / (spec.kernelH() * spec.kernelW());
        float[] dyv = tdy.floats();
        float[] dxv = tdx.floats();
        threads.parallelFor(out.n() * out.c(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * h * w;
                int o = plane * oh * ow;
                Arrays.fill(dxv, in, in + h * w, 0f);
                for (int r = 0; r < oh; r++) {
                    int hs = r * spec.strideH() - spec.padH();
                    int he = Math.min(hs + spec.kernelH(), h);
                    hs = Math.max(hs, 0);
                    for (int q = 0; q < ow; q++) {
                        int ws = q * spec.strideW() - spec.padW();
                        int we = Math.min(ws + spec.kernelW(), w);
                        ws = Math.max(ws, 0);
                        float g = dyv[o + r * ow + q] * inv;
                        for (int i = hs; i < he; i++) {
                            for (int j = ws; j < we; j++) {
                                dxv[in + i * w + j] += g;
                            }
                        }
                    }
                }
            }
        });
    }

    // ================================================================ activations

    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        String op = "activationForward";
        requireNotNull(op, "activation", f);
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor ty = floatTensor(op, "y", y);
        requireShape(op, "y", ty, tx.shape());
        float[] xv = tx.floats();
        float[] yv = ty.floats();
        elementwise(tx.size(), (i0, i1) -> {
            switch (f) {
                case RELU -> {
                    for (int i = i0; i < i1; i++) {
                        float v = xv[i];
                        yv[i] = v > 0f ? v : 0f;
                    }
                }
                case SIGMOID -> {
                    for (int i = i0; i < i1; i++) {
                        yv[i] = (float) (1.0 / (1.0 + Math.exp(-xv[i])));
                    }
                }
                case TANH -> {
                    for (int i = i0; i < i1; i++) {
                        yv[i] = (float) Math.tanh(xv[i]);
                    }
                }
                default -> throw new IllegalArgumentException(op + ": unknown activation " + f);
            }
        });
    }

    @Override
    public void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        String op = "activationBackward";
        requireNotNull(op, "activation", f);
        CpuTensor ty = floatTensor(op, "y", y);
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tdx = floatTensor(op, "dx", dx);
        requireShape(op, "dy", tdy, ty.shape());
        requireShape(op, "dx", tdx, ty.shape());
        float[] yv = ty.floats();
        float[] dyv = tdy.floats();
        float[] dxv = tdx.floats();
        elementwise(ty.size(), (i0, i1) -> {
            switch (f) {
                case RELU -> {
                    for (int i = i0; i < i1; i++) {
                        dxv[i] = yv[i] > 0f ? dyv[i] : 0f;
                    }
                }
                case SIGMOID -> {
                    for (int i = i0; i < i1; i++) {
                        float v = yv[i];
                        dxv[i] = dyv[i] * v * (1f - v);
                    }
                }
                case TANH -> {
                    for (int i = i0; i < i1; i++) {
                        float v = yv[i];
                        dxv[i] = dyv[i] * (1f - v * v);
                    }
                }
                default -> throw new IllegalArgumentException(op + ": unknown activation " + f);
            }
        });
    }

    // ================================================================ loss

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        String op = "softmaxCrossEntropyForward";
        CpuTensor tl = floatTensor(op, "logits", logits);
        CpuTensor tlab = intTensor(op, "labels", labels);
        CpuTensor tp = floatTensor(op, "probs", probs);
        CpuTensor tloss = floatTensor(op, "loss", loss);
        requireMinRank(op, "logits", tl, 2);
        int n = tl.shape().n();
        int k = tl.shape().sizePerItem();
        requireShape(op, "labels", tlab, Shape.of(n));
        requireShape(op, "probs", tp, tl.shape());
        requireShape(op, "loss", tloss, Shape.of(1));
        int[] lab = tlab.ints();
        checkLabels(op, lab, k);
        float[] z = tl.floats();
        float[] pv = tp.floats();
        double total = 0;
        for (int i = 0; i < n; i++) {
            int row = i * k;
            float max = z[row];
            for (int j = 1; j < k; j++) {
                max = Math.max(max, z[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp((double) z[row + j] - max);
            }
            for (int j = 0; j < k; j++) {
                pv[row + j] = (float) (Math.exp((double) z[row + j] - max) / sum);
            }
            // log p[label] = z[label] - max - log(sum): finite even when p[label] underflows to 0.
            total -= (double) z[row + lab[i]] - max - Math.log(sum);
        }
        tloss.floats()[0] = (float) (total / n);
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits) {
        String op = "softmaxCrossEntropyBackward";
        CpuTensor tp = floatTensor(op, "probs", probs);
        CpuTensor tlab = intTensor(op, "labels", labels);
        CpuTensor td = floatTensor(op, "dlogits", dlogits);
        requireMinRank(op, "probs", tp, 2);
        int n = tp.shape().n();
        int k = tp.shape().sizePerItem();
        requireShape(op, "labels", tlab, Shape.of(n));
        requireShape(op, "dlogits", td, tp.shape());
        int[] lab = tlab.ints();
        checkLabels(op, lab, k);
        float[] pv = tp.floats();
        float[] dv = td.floats();
        float inv = 1f / n;
        for (int i = 0; i < n; i++) {
            int row = i * k;
            for (int j = 0; j < k; j++) {
                dv[row + j] = (pv[row + j] - (j == lab[i] ? 1f : 0f)) * inv;
            }
        }
    }

    private static void checkLabels(String op, int[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException(op + ": label " + i + " is " + labels[i] + ", outside [0, "
                        + classes + ")");
            }
        }
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        String op = "argmax";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor to = intTensor(op, "out", out);
        requireMinRank(op, "x", tx, 2);
        int n = tx.shape().n();
        int k = tx.shape().sizePerItem();
        requireShape(op, "out", to, Shape.of(n));
        float[] xv = tx.floats();
        int[] ov = to.ints();
        for (int i = 0; i < n; i++) {
            int row = i * k;
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (xv[row + j] > xv[row + best]) {
                    best = j;
                }
            }
            ov[i] = best;
        }
    }

    // ================================================================ regularization

    @Override
    public void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        String op = "dropoutForward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor tm = floatTensor(op, "mask", mask);
        CpuTensor ty = floatTensor(op, "y", y);
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException(op + ": drop probability p must be in [0, 1), got " + p);
        }
        requireShape(op, "mask", tm, tx.shape());
        requireShape(op, "y", ty, tx.shape());
        float[] xv = tx.floats();
        float[] mv = tm.floats();
        float[] yv = ty.floats();
        elementwise(tx.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float m = DropoutMask.value(seed, i, p);
                mv[i] = m;
                yv[i] = xv[i] * m;
            }
        });
    }

    @Override
    public void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        String op = "dropoutBackward";
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tm = floatTensor(op, "mask", mask);
        CpuTensor tdx = floatTensor(op, "dx", dx);
        requireShape(op, "mask", tm, tdy.shape());
        requireShape(op, "dx", tdx, tdy.shape());
        float[] dyv = tdy.floats();
        float[] mv = tm.floats();
        float[] dxv = tdx.floats();
        elementwise(tdy.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                dxv[i] = dyv[i] * mv[i];
            }
        });
    }

    @Override
    public void lrnForward(Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        String op = "lrnForward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor ts = floatTensor(op, "scale", scale);
        CpuTensor ty = floatTensor(op, "y", y);
        requireNotNull(op, "spec", spec);
        requireRank(op, "x", tx, 4);
        requireShape(op, "scale", ts, tx.shape());
        requireShape(op, "y", ty, tx.shape());
        int c = tx.shape().c();
        int hw = tx.shape().h() * tx.shape().w();
        float coef = spec.alpha() / spec.size();
        int before = (spec.size() - 1) / 2;
        int after = spec.size() / 2;
        float[] xv = tx.floats();
        float[] sv = ts.floats();
        float[] yv = ty.floats();
        threads.parallelFor(tx.shape().n() * c, (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int n = plane / c;
                int ch = plane % c;
                int out = plane * hw;
                Arrays.fill(sv, out, out + hw, 0f);
                for (int cc = Math.max(0, ch - before); cc <= Math.min(c - 1, ch + after); cc++) {
                    int in = (n * c + cc) * hw;
                    for (int i = 0; i < hw; i++) {
                        float v = xv[in + i];
                        sv[out + i] += v * v;
                    }
                }
                for (int i = 0; i < hw; i++) {
                    float s = spec.k() + coef * sv[out + i];
                    sv[out + i] = s;
                    yv[out + i] = xv[out + i] * (float) Math.pow(s, -spec.beta());
                }
            }
        });
    }

    @Override
    public void lrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        String op = "lrnBackward";
        CpuTensor tx = floatTensor(op, "x", x);
        CpuTensor ty = floatTensor(op, "y", y);
        CpuTensor ts = floatTensor(op, "scale", scale);
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tdx = floatTensor(op, "dx", dx);
        requireNotNull(op, "spec", spec);
        requireRank(op, "x", tx, 4);
        requireShape(op, "y", ty, tx.shape());
        requireShape(op, "scale", ts, tx.shape());
        requireShape(op, "dy", tdy, tx.shape());
        requireShape(op, "dx", tdx, tx.shape());
        int c = tx.shape().c();
        int hw = tx.shape().h() * tx.shape().w();
        // dx_i = dy_i * scale_i^-beta - (2*alpha*beta/size) * x_i * sum over j whose window holds i of
        // dy_j * y_j / scale_j; channel j's window [j - (size-1)/2, j + size/2] holds i when
        // i - size/2 <= j <= i + (size-1)/2.
        float coef = 2f * spec.alpha() * spec.beta() / spec.size();
        int lo = spec.size() / 2;
        int hi = (spec.size() - 1) / 2;
        float[] xv = tx.floats();
        float[] yv = ty.floats();
        float[] sv = ts.floats();
        float[] dyv = tdy.floats();
        float[] dxv = tdx.floats();
        threads.parallelFor(tx.shape().n(), (part, n0, n1) -> {
            float[] ratio = scratch(part, c * hw);
            for (int n = n0; n < n1; n++) {
                int base = n * c * hw;
                for (int i = 0; i < c * hw; i++) {
                    ratio[i] = dyv[base + i] * yv[base + i] / sv[base + i];
                }
                for (int ch = 0; ch < c; ch++) {
                    int out = base + ch * hw;
                    for (int i = 0; i < hw; i++) {
                        float s = 0f;
                        for (int j = Math.max(0, ch - lo); j <= Math.min(c - 1, ch + hi); j++) {
                            s += ratio[j * hw + i];
                        }
                        dxv[out + i] = dyv[out + i] * (float) Math.pow(sv[out + i], -spec.beta())
                                - coef * xv[out + i] * s;
                    }
                }
            }
        });
    }

    @Override
    public void batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                         Tensor runningMean, Tensor runningVar, Tensor saveMean,
                                         Tensor saveInvStd, Tensor y) {
        String op = "batchNormForwardTraining";
        CpuTensor tx = floatTensor(op, "x", x);
        BatchNormShape s = batchNormShape(op, tx);
        Shape perChannel = Shape.of(s.channels);
        CpuTensor tg = floatTensor(op, "gamma", gamma);
        CpuTensor tb = floatTensor(op, "beta", beta);
        CpuTensor trm = floatTensor(op, "runningMean", runningMean);
        CpuTensor trv = floatTensor(op, "runningVar", runningVar);
        CpuTensor tsm = floatTensor(op, "saveMean", saveMean);
        CpuTensor tsi = floatTensor(op, "saveInvStd", saveInvStd);
        CpuTensor ty = floatTensor(op, "y", y);
        for (CpuTensor t : new CpuTensor[] {tg, tb, trm, trv, tsm, tsi}) {
            requireShape(op, "per-channel tensor", t, perChannel);
        }
        requireShape(op, "y", ty, tx.shape());
        if (!(eps > 0f)) {
            throw new IllegalArgumentException(op + ": eps must be > 0, got " + eps);
        }
        long m = (long) s.n * s.inner;
        if (m < 2) {
            throw new IllegalArgumentException(op + ": x " + tx.shape() + " has " + m
                    + " value per channel; training batch normalization needs more than 1");
        }
        float[] xv = tx.floats();
        float[] yv = ty.floats();
        threads.parallelFor(s.channels, (part, c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double sum = 0;
                for (int i = 0; i < s.n; i++) {
                    int off = (i * s.channels + c) * s.inner;
                    for (int j = 0; j < s.inner; j++) {
                        sum += xv[off + j];
                    }
                }
                double mean = sum / m;
                double sq = 0;
                for (int i = 0; i < s.n; i++) {
                    int off = (i * s.channels + c) * s.inner;
                    for (int j = 0; j < s.inner; j++) {
                        double d = xv[off + j] - mean;
                        sq += d * d;
                    }
                }
                double var = sq / m;
                double invStd = 1.0 / Math.sqrt(var + eps);
                float g = tg.floats()[c];
                float b = tb.floats()[c];
                for (int i = 0; i < s.n; i++) {
                    int off = (i * s.channels + c) * s.inner;
                    for (int j = 0; j < s.inner; j++) {
                        yv[off + j] = (float) (g * ((xv[off + j] - mean) * invStd) + b);
                    }
                }
                tsm.floats()[c] = (float) mean;
                tsi.floats()[c] = (float) invStd;
                trm.floats()[c] = (float) ((1 - momentum) * (double) trm.floats()[c] + momentum * mean);
                trv.floats()[c] = (float) ((1 - momentum) * (double) trv.floats()[c]
                        + momentum * var * m / (m - 1));
            }
        });
    }

    @Override
    public void batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                          Tensor runningVar, float eps, Tensor y) {
        String op = "batchNormForwardInference";
        CpuTensor tx = floatTensor(op, "x", x);
        BatchNormShape s = batchNormShape(op, tx);
        Shape perChannel = Shape.of(s.channels);
        CpuTensor tg = floatTensor(op, "gamma", gamma);
        CpuTensor tb = floatTensor(op, "beta", beta);
        CpuTensor trm = floatTensor(op, "runningMean", runningMean);
        CpuTensor trv = floatTensor(op, "runningVar", runningVar);
        CpuTensor ty = floatTensor(op, "y", y);
        for (CpuTensor t : new CpuTensor[] {tg, tb, trm, trv}) {
            requireShape(op, "per-channel tensor", t, perChannel);
        }
        requireShape(op, "y", ty, tx.shape());
        if (!(eps > 0f)) {
            throw new IllegalArgumentException(op + ": eps must be > 0, got " + eps);
        }
        float[] xv = tx.floats();
        float[] yv = ty.floats();
        threads.parallelFor(s.channels, (part, c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                float invStd = (float) (1.0 / Math.sqrt((double) trv.floats()[c] + eps));
                float mean = trm.floats()[c];
                float g = tg.floats()[c];
                float b = tb.floats()[c];
                for (int i = 0; i < s.n; i++) {
                    int off = (i * s.channels + c) * s.inner;
                    for (int j = 0; j < s.inner; j++) {
                        yv[off + j] = g * ((xv[off + j] - mean) * invStd) + b;
                    }
                }
            }
        });
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        String op = "batchNormBackward";
        CpuTensor tx = floatTensor(op, "x", x);
        BatchNormShape s = batchNormShape(op, tx);
        Shape perChannel = Shape.of(s.channels);
        CpuTensor tdy = floatTensor(op, "dy", dy);
        CpuTensor tg = floatTensor(op, "gamma", gamma);
        CpuTensor tsm = floatTensor(op, "saveMean", saveMean);
        CpuTensor tsi = floatTensor(op, "saveInvStd", saveInvStd);
        CpuTensor tdx = floatTensor(op, "dx", dx);
        CpuTensor tdg = floatTensor(op, "dgamma", dgamma);
        CpuTensor tdb = floatTensor(op, "dbeta", dbeta);
        requireShape(op, "dy", tdy, tx.shape());
        requireShape(op, "dx", tdx, tx.shape());
        for (CpuTensor t : new CpuTensor[] {tg, tsm, tsi, tdg, tdb}) {
            requireShape(op, "per-channel tensor", t, perChannel);
        }
        long m = (long) s.n * s.inner;
        float[] xv = tx.floats();
        float[] dyv = tdy.floats();
        float[] dxv = tdx.floats();
        threads.parallelFor(s.channels, (part, c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double mean = tsm.floats()[c];
                double invStd = tsi.floats()[c];
                double sumDy = 0;
                double sumDyXhat = 0;
                for (int i = 0; i < s.n; i++) {
                    int off = (i * s.channels + c) * s.inner;
                    for (int j = 0; j < s.inner; j++) {
                        double g = dyv[off + j];
                        sumDy += g;
                        sumDyXhat += g * (xv[off + j] - mean) * invStd;
                    }
                }
                // dx = gamma * invStd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
                double k = tg.floats()[c] * invStd / m;
                for (int i = 0; i < s.n; i++) {
                    int off = (i * s.channels + c) * s.inner;
                    for (int j = 0; j < s.inner; j++) {
                        double xhat = (xv[off + j] - mean) * invStd;
                        dxv[off + j] = (float) (k * (m * (double) dyv[off + j] - sumDy - xhat * sumDyXhat));
                    }
                }
                tdg.floats()[c] += (float) sumDyXhat;
                tdb.floats()[c] += (float) sumDy;
            }
        });
    }

    /** x [N, C, H, W] or [N, C] seen as n items of channels planes of inner values. */
    private record BatchNormShape(int n, int channels, int inner) {
    }

    private static BatchNormShape batchNormShape(String op, CpuTensor x) {
        Shape s = x.shape();
        if (s.rank() == 4) {
            return new BatchNormShape(s.n(), s.c(), s.h() * s.w());
        }
        if (s.rank() == 2) {
            return new BatchNormShape(s.n(), s.dim(1), 1);
        }
        throw new IllegalArgumentException(op + ": x must be [N, C, H, W] or [N, C], got " + s);
    }

    // ================================================================ optimizers

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        String op = "sgdUpdate";
        CpuTensor tp = floatTensor(op, "param", param);
        CpuTensor tg = floatTensor(op, "grad", grad);
        requireSameShape(op, tp, "grad", tg);
        float[] p = tp.floats();
        float[] gr = tg.floats();
        elementwise(tp.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                p[i] -= lr * g;
            }
        });
    }

    @Override
    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                               float weightDecay, boolean nesterov) {
        String op = "momentumUpdate";
        CpuTensor tp = floatTensor(op, "param", param);
        CpuTensor tg = floatTensor(op, "grad", grad);
        CpuTensor tv = floatTensor(op, "velocity", velocity);
        requireSameShape(op, tp, "grad", tg);
        requireSameShape(op, tp, "velocity", tv);
        float[] p = tp.floats();
        float[] gr = tg.floats();
        float[] v = tv.floats();
        elementwise(tp.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float vi = momentum * v[i] + g;
                v[i] = vi;
                p[i] -= nesterov ? lr * (g + momentum * vi) : lr * vi;
            }
        });
    }

    @Override
    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        String op = "adagradUpdate";
        CpuTensor tp = floatTensor(op, "param", param);
        CpuTensor tg = floatTensor(op, "grad", grad);
        CpuTensor ts = floatTensor(op, "sumSquares", sumSquares);
        requireSameShape(op, tp, "grad", tg);
        requireSameShape(op, tp, "sumSquares", ts);
        float[] p = tp.floats();
        float[] gr = tg.floats();
        float[] s = ts.floats();
        elementwise(tp.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float si = s[i] + g * g;
                s[i] = si;
                p[i] -= lr * g / ((float) Math.sqrt(si) + eps);
            }
        });
    }

    @Override
    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        String op = "rmspropUpdate";
        CpuTensor tp = floatTensor(op, "param", param);
        CpuTensor tg = floatTensor(op, "grad", grad);
        CpuTensor tm = floatTensor(op, "meanSquare", meanSquare);
        requireSameShape(op, tp, "grad", tg);
        requireSameShape(op, tp, "meanSquare", tm);
        float[] p = tp.floats();
        float[] gr = tg.floats();
        float[] ms = tm.floats();
        elementwise(tp.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float mi = decay * ms[i] + (1f - decay) * g * g;
                ms[i] = mi;
                p[i] -= lr * g / ((float) Math.sqrt(mi) + eps);
            }
        });
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        String op = "adamUpdate";
        CpuTensor tp = floatTensor(op, "param", param);
        CpuTensor tg = floatTensor(op, "grad", grad);
        CpuTensor tm = floatTensor(op, "m", m);
        CpuTensor tv = floatTensor(op, "v", v);
        requireSameShape(op, tp, "grad", tg);
        requireSameShape(op, tp, "m", tm);
        requireSameShape(op, tp, "v", tv);
        if (step < 1) {
            throw new IllegalArgumentException(op + ": step starts at 1, got " + step);
        }
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2 = (float) (1.0 - Math.pow(beta2, step));
        float[] p = tp.floats();
        float[] gr = tg.floats();
        float[] mv = tm.floats();
        float[] vv = tv.floats();
        elementwise(tp.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float g = gr[i] + weightDecay * p[i];
                float mi = beta1 * mv[i] + (1f - beta1) * g;
                float vi = beta2 * vv[i] + (1f - beta2) * g * g;
                mv[i] = mi;
                vv[i] = vi;
                p[i] -= lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
            }
        });
    }

    // ================================================================ lifecycle

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (this) {
            for (int i = 0; i < columns.length; i++) {
                dropWorkspace(columns[i]);
                columns[i] = null;
                dropWorkspace(scratch[i]);
                scratch[i] = null;
            }
            dropWorkspace(filterChunk);
            filterChunk = new float[0];
        }
        gemm.close();
        threads.close();
    }

    @Override
    public String toString() {
        return description();
    }

    // ================================================================ workspaces

    private float[] columns(int part, int floats) {
        return workspace(columns, part, floats);
    }

    private float[] scratch(int part, int floats) {
        return workspace(scratch, part, floats);
    }

    private synchronized float[] workspace(float[][] slots, int part, int floats) {
        float[] w = slots[part];
        if (w == null || w.length < floats) {
            dropWorkspace(w);
            w = new float[floats];
            memory.allocated((long) floats * Float.BYTES);
            slots[part] = w;
        }
        return w;
    }

    private synchronized float[] filterChunk(long floats) {
        if (filterChunk.length < floats) {
            dropWorkspace(filterChunk);
            filterChunk = new float[Math.toIntExact(floats)];
            memory.allocated(floats * Float.BYTES);
        }
        return filterChunk;
    }

    /** Takes a workspace out of the counters (the garbage collector frees the array). */
    private void dropWorkspace(float[] w) {
        if (w != null && w.length > 0) {
            memory.freed((long) w.length * Float.BYTES);
        }
    }

    // ================================================================ element-wise splitting

    @FunctionalInterface
    private interface Span {
        void run(int start, int end);
    }

    /** Runs body over [0, size), on all threads when size is large enough to pay for them. */
    private void elementwise(int size, Span body) {
        if (size < PARALLEL_ELEMENTS) {
            body.run(0, size);
        } else {
            threads.parallelFor(size, (part, i0, i1) -> body.run(i0, i1));
        }
    }

    // ================================================================ validation

    private void checkBackendOpen(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": this cpu backend was closed");
        }
    }

    /** The tensor as a CpuTensor of this backend, open; otherwise IllegalArgumentException naming op and name. */
    private CpuTensor cpu(String op, String name, Tensor t) {
        checkBackendOpen(op);
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
        if (!(t instanceof CpuTensor ct) || ct.owner() != this) {
            throw new IllegalArgumentException(op + ": " + name + " " + t + " does not belong to this cpu backend");
        }
        if (!ct.isUsable()) {
            throw new IllegalStateException(op + ": " + name + " " + t.shape() + " used after close"
                    + (ct.isClosed() ? "" : " (of the tensor it is a view of)"));
        }
        return ct;
    }

    private CpuTensor floatTensor(String op, String name, Tensor t) {
        CpuTensor ct = cpu(op, name, t);
        if (ct.dataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(op + ": " + name + " " + ct.shape() + " must be FLOAT32, got "
                    + ct.dataType());
        }
        return ct;
    }

    private CpuTensor intTensor(String op, String name, Tensor t) {
        CpuTensor ct = cpu(op, name, t);
        if (ct.dataType() != DataType.INT32) {
            throw new IllegalArgumentException(op + ": " + name + " " + ct.shape() + " must be INT32, got "
                    + ct.dataType());
        }
        return ct;
    }

    private static void checkLength(String op, int length, CpuTensor t) {
        if (length != t.size()) {
            throw new IllegalArgumentException(op + ": host array of " + (length < 0 ? "null" : length + " elements")
                    + " does not match tensor " + t.shape() + " of " + t.size() + " elements");
        }
    }

    private static void requireRank(String op, String name, CpuTensor t, int rank) {
        if (t.shape().rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + ", got " + t.shape());
        }
    }

    private static void requireMinRank(String op, String name, CpuTensor t, int rank) {
        if (t.shape().rank() < rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank >= " + rank + ", got " + t.shape());
        }
    }

    private static void requireShape(String op, String name, CpuTensor t, Shape expected) {
        if (!t.shape().equals(expected)) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + expected + ", got " + t.shape());
        }
    }

    private static void requireSameShape(String op, CpuTensor param, String name, CpuTensor t) {
        if (!t.shape().equals(param.shape())) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " must have the shape of param "
                    + param.shape());
        }
    }

    private static void requireSpec(String op, Object spec) {
        requireNotNull(op, "spec", spec);
    }

    private static void requireNotNull(String op, String name, Object o) {
        if (o == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
    }
}
