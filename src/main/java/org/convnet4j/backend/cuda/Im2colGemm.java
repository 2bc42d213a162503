package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.tensor.Tensor;

/**
 * The general convolution algorithm ({@value ConvAlgorithms#IM2COL}): the kernels of kernels/convolution.cu
 * (im2col, col2im, the layout copies between NCHW and the GEMM's channel-major CNHW, the bias gradient's
 * slices, the in-order sum of partial products) around SGEMMs from the {@link GemmProvider}, a chunk of B
 * images at a time. Applies to every convolution; deterministic.
 *
 * <p>Chunks: as many images as fit {@link CudaConvolution#MAX_WORKSPACE_BYTES}, balanced: N images in
 * ceil(N / max) chunks of ceil(N / chunks) (the last one at most chunks - 1 smaller). The column matrix
 * col [C*FH*FW, B*OH*OW] and the channel-major yT or dyT [FN, B*OH*OW] have the row stride
 * ld = B*OH*OW rounded up to a multiple of {@value #LD_ALIGN} floats, so every row starts 128-byte aligned.
 *
 * <p>Forward: im2col, ONE SGEMM yT = W [FN, CK] * col, then yT copied into NCHW with the bias added.
 * Backward (filter, then data when asked, per chunk, dy copied to dyT ONCE for both): im2col; dW += dyT * col^T,
 * one SGEMM with K = B*OH*OW (beta 1), or, when dW has fewer 128x128 tiles than the device has SMs, K in
 * {@link #kSlices} slices whose products are summed in slice order (deterministic, whichever GEMM provider);
 * dbias += the row sums of dyT in two stages (fixed slices of {@value #BIAS_SLICE} columns, then their in-order
 * sum); col = W^T * dyT (overwriting the columns), then col2im, a gather (deterministic).
 */
final class Im2colGemm implements ConvAlgorithm {
    /** Row strides of the column and channel-major matrices are multiples of this many floats. */
    static final int LD_ALIGN = 32;
    /** The shortest K slice of the filter gradient worth a block of its own. */
    static final int MIN_SLICE_K = 1024;
    /** Tile of C the slice count assumes (our kernel's; cuBLAS's large FP32 tiles are of this order). */
    static final int TILE = 128;
    /** Columns of dyT per block of the bias gradient's first stage. */
    static final int BIAS_SLICE = 4096;

    private final KernelLauncher launcher;
    private final GemmProvider gemm;
    private final Workspace workspace;
    private final int multiprocessors;

    Im2colGemm(CudaOpContext context) {
        this.launcher = context.launcher();
        this.gemm = context.gemm();
        this.workspace = context.workspace();
        this.multiprocessors = context.device().multiprocessorCount();
    }

    @Override
    public String name() {
        return ConvAlgorithms.IM2COL;
    }

    @Override
    public boolean deterministic() {
        return true;
    }

    @Override
    public String whyNot(ConvGeometry g, ConvPass pass) {
        return null;
    }

    /**
     * How a geometry is cut: chunk images per chunk (the last chunk may hold fewer), row stride ld of the
     * matrices, and the filter gradient's K slices and bias slices for a full chunk.
     */
    record Plan(int chunk, int ld, int kSlices, int biasSlices) {
        static Plan of(ConvGeometry g, int multiprocessors) {
            long perImage = 4L * (g.ck() + g.fn()) * g.p();
            long padding = 4L * (g.ck() + g.fn()) * (LD_ALIGN - 1);
            int max = (int) Math.max(1, Math.min(g.n(), (CudaConvolution.MAX_WORKSPACE_BYTES - padding) / perImage));
            int chunks = (int) KernelLauncher.ceilDiv(g.n(), max);
            int chunk = (int) KernelLauncher.ceilDiv(g.n(), chunks);
            int columns = chunk * g.p();
            int ld = (int) (KernelLauncher.ceilDiv(columns, LD_ALIGN) * LD_ALIGN);
            return new Plan(chunk, ld, Im2colGemm.kSlices(g.fn(), g.ck(), columns, multiprocessors),
                    (int) KernelLauncher.ceilDiv(columns, BIAS_SLICE));
        }

        long colBytes(ConvGeometry g) {
            return 4L * g.ck() * ld;
        }

        long chwBytes(ConvGeometry g) {
            return 4L * g.fn() * ld;
        }

        /** The K slices' partial products [slices, FN, CK] (when K is cut) and the bias slices' sums. */
        long filterExtraBytes(ConvGeometry g) {
            return (kSlices > 1 ? 4L * kSlices * g.fn() * g.ck() : 0) + 4L * biasSlices * g.fn();
        }
    }

    /**
     * Into how many slices to cut K of one [m, n] product: 1 when C has at least as many 128x128 tiles as the
     * device has SMs; otherwise enough for about two blocks per SM, none shorter than {@value #MIN_SLICE_K}.
     * Decided here for every GEMM provider: nothing promises that cuBLAS splits a long K itself.
     */
    static int kSlices(int m, int n, int k, int multiprocessors) {
        long tiles = KernelLauncher.ceilDiv(m, TILE) * KernelLauncher.ceilDiv(n, TILE);
        if (tiles >= multiprocessors) {
            return 1;
        }
        long byBlocks = KernelLauncher.ceilDiv(2L * multiprocessors, tiles);
        return (int) Math.max(1, Math.min(byBlocks, k / MIN_SLICE_K));
    }

    Plan plan(ConvGeometry g) {
        return Plan.of(g, multiprocessors);
    }

    @Override
    public long workspaceBytes(ConvGeometry g, ConvPass pass) {
        Plan plan = plan(g);
        long bytes = plan.colBytes(g) + plan.chwBytes(g);
        return pass == ConvPass.BACKWARD_FILTER ? bytes + plan.filterExtraBytes(g) : bytes;
    }

    /** The workspace of the forward and backward-data passes: a chunk's columns and its channel-major yT or dyT. */
    static long workspaceBytes(ConvGeometry g) {
        Plan plan = Plan.of(g, 1);
        return plan.colBytes(g) + plan.chwBytes(g);
    }

    /** The arguments of im2col_f32 and col2im_f32: the two pointers, the image count, the sizes, ld. */
    private static Object[] im2colArgs(ConvGeometry g, long from, long to, int images, int ld) {
        ConvSpec s = g.spec();
        return new Object[] {from, to, images, g.c(), g.h(), g.w(), g.fh(), g.fw(), g.oh(), g.ow(), s.strideH(),
                s.strideW(), s.padH(), s.padW(), s.dilationH(), s.dilationW(), ld};
    }

    /** A layout copy on its 2-D grid: y over the planes it writes, x over the P positions of a plane. */
    private void layoutCopy(String kernel, int planes, int p, Object... args) {
        launcher.launchGrid(kernel, KernelLauncher.gridFor(p), Math.min(planes, KernelGemmProvider.MAX_GRID_Z), 1,
                KernelLauncher.BLOCK, 0, args);
    }

    @Override
    public void forward(ConvGeometry g, Tensor xt, Tensor wt, Tensor biast, Tensor yt) {
        long x = addressOf(xt);
        long w = addressOf(wt);
        long bias = address(biast);
        long y = addressOf(yt);
        Plan plan = plan(g);
        int p = g.p();
        int ld = plan.ld();
        long col = workspace.address(workspaceBytes(g, ConvPass.FORWARD));
        long yT = col + plan.colBytes(g);
        for (int n0 = 0; n0 < g.n(); n0 += plan.chunk()) {
            int images = Math.min(plan.chunk(), g.n() - n0);
            int columns = images * p;
            long xAt = x + 4L * n0 * g.imageSize();
            launcher.launch("im2col_f32", (long) images * g.c() * p, im2colArgs(g, xAt, col, images, ld));
            // yT [FN, B*P] = W [FN, CK] * col [CK, B*P]
            gemm.sgemmStridedBatched(false, false, g.fn(), columns, g.ck(), 1f, w, g.ck(), 0, col, ld, 0, 0f, yT,
                    ld, 0, 1);
            // y [B, FN, P] = yT [FN, B, P] + bias
            layoutCopy("cnhw_to_nchw_f32", images * g.fn(), p, yT, bias, y + 4L * n0 * g.fn() * p, images, g.fn(), p,
                    ld);
        }
    }

    @Override
    public void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        backward(g, null, dy, w, dx, null, null);
    }

    @Override
    public void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        backward(g, x, dy, null, null, dw, dbias);
    }

    /** The device address of t, 0 for null. */
    private static long address(Tensor t) {
        return t == null ? 0 : addressOf(t);
    }

    /**
     * Both backward passes over one pass of dy's chunks: the filter gradient (and the bias's, when dbias is not
     * null) when dw is not null, then the data gradient when dx is not null, each chunk's dy copied to the
     * channel-major layout once for both.
     */
    void backward(ConvGeometry g, Tensor xt, Tensor dyt, Tensor wt, Tensor dxt, Tensor dwt, Tensor dbiast) {
        long x = address(xt);
        long dy = addressOf(dyt);
        long w = address(wt);
        long dx = address(dxt);
        long dw = address(dwt);
        long dbias = address(dbiast);
        Plan plan = plan(g);
        int p = g.p();
        int fn = g.fn();
        int ck = g.ck();
        int ld = plan.ld();
        boolean filter = dw != 0;
        long col = workspace.address(workspaceBytes(g, filter ? ConvPass.BACKWARD_FILTER : ConvPass.BACKWARD_DATA));
        long dyT = col + plan.colBytes(g);
        long partial = dyT + plan.chwBytes(g);
        long biasParts = partial + (plan.kSlices() > 1 ? 4L * plan.kSlices() * fn * ck : 0);
        for (int n0 = 0; n0 < g.n(); n0 += plan.chunk()) {
            int images = Math.min(plan.chunk(), g.n() - n0);
            int columns = images * p;
            layoutCopy("nchw_to_cnhw_f32", images * fn, p, dy + 4L * n0 * fn * p, dyT, images, fn, p, ld);
            if (filter) {
                long xAt = x + 4L * n0 * g.imageSize();
                launcher.launch("im2col_f32", (long) images * g.c() * p, im2colArgs(g, xAt, col, images, ld));
                filterGradient(fn, ck, columns, ld, Math.min(plan.kSlices(), kSlices(fn, ck, columns, multiprocessors)),
                        dyT, col, partial, dw);
                if (dbias != 0) {
                    int slices = (int) KernelLauncher.ceilDiv(columns, BIAS_SLICE);
                    launcher.launchGrid("row_sum_slices_f32", slices, Math.min(fn, KernelGemmProvider.MAX_GRID_Z), 1,
                            KernelLauncher.BLOCK, 0, dyT, biasParts, fn, columns, ld, BIAS_SLICE);
                    launcher.launch("sum_batches_accumulate_f32", fn, biasParts, dbias, slices, fn);
                }
            }
            if (dx != 0) {
                // col [CK, B*P] = W^T [CK, FN] * dyT [FN, B*P]
                gemm.sgemmStridedBatched(true, false, ck, columns, fn, 1f, w, ck, 0, dyT, ld, 0, 0f, col, ld, 0, 1);
                long dxAt = dx + 4L * n0 * g.imageSize();
                launcher.launch("col2im_f32", (long) images * g.c() * g.h() * g.w(),
                        im2colArgs(g, col, dxAt, images, ld));
            }
        }
    }

    /**
     * dW [FN, CK] += dyT [FN, columns] * col^T [columns, CK]: one GEMM whose K is the chunk's columns, or K cut
     * into slices: partial_j = the product over columns [j*L, (j+1)*L), a strided batch of equal slices plus one
     * shorter last slice, then dW += the partials summed in slice order (deterministic).
     */
    private void filterGradient(int fn, int ck, int columns, int ld, int slices, long dyT, long col, long partial,
                                long dw) {
        if (slices <= 1) {
            gemm.sgemmStridedBatched(false, true, fn, ck, columns, 1f, dyT, ld, 0, col, ld, 0, 1f, dw, ck, 0, 1);
            return;
        }
        int length = (int) KernelLauncher.ceilDiv(columns, slices);
        int full = columns / length;
        int rest = columns - full * length;
        long partialSize = (long) fn * ck;
        gemm.sgemmStridedBatched(false, true, fn, ck, length, 1f, dyT, ld, length, col, ld, length, 0f, partial, ck,
                partialSize, full);
        if (rest > 0) {
            long offset = 4L * full * length;
            gemm.sgemmStridedBatched(false, true, fn, ck, rest, 1f, dyT + offset, ld, 0, col + offset, ld, 0, 0f,
                    partial + 4L * full * partialSize, ck, 0, 1);
        }
        launcher.launch("sum_batches_accumulate_f32", partialSize, partial, dw, full + (rest > 0 ? 1 : 0),
                (int) partialSize);
    }
}
