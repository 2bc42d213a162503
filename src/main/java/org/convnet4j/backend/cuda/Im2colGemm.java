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
 *
 * <p>Groups: im2col and the layout copies are those of the whole image, since group g's rows of col are the
 * consecutive block [g*K, (g+1)*K) with K = (C/groups)*FH*FW (and its rows of yT, dyT and W the block of its FN/groups
 * filters), so each product above becomes one strided-batched GEMM over the groups (strides K*ld for col,
 * FN/groups*ld for yT and dyT, FN/groups*K for W and dW). Where the filter gradient's K is cut into slices (only
 * when groups times the tiles of one group's dW are fewer than the SMs, so fewer groups than SMs), the slices
 * are the batch and the groups a loop, one group's partial products at a time.
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

    @Override
    public boolean supportsGroups() {
        return true;
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
            return new Plan(chunk, ld, Im2colGemm.kSlices(g.groupFilters(), g.filterSize(), columns, g.groups(),
                    multiprocessors),
                    (int) KernelLauncher.ceilDiv(columns, BIAS_SLICE));
        }

        long colBytes(ConvGeometry g) {
            return 4L * g.ck() * ld;
        }

        long chwBytes(ConvGeometry g) {
            return 4L * g.fn() * ld;
        }

        /** One group's K slices' partial products [slices, FN/groups, K] (when K is cut); the bias slices' sums. */
        long filterExtraBytes(ConvGeometry g) {
            return partialBytes(g) + 4L * biasSlices * g.fn();
        }

        long partialBytes(ConvGeometry g) {
            return kSlices > 1 ? 4L * kSlices * g.groupFilters() * g.filterSize() : 0;
        }
    }

    /**
     * Into how many slices to cut K of a batch of [m, n] products (one per group): 1 when the batch's Cs have at
     * least as many 128x128 tiles as the device has SMs; otherwise enough for about two blocks per SM, none
     * shorter than {@value #MIN_SLICE_K}. Decided here for every GEMM provider: nothing promises that cuBLAS
     * splits a long K itself.
     */
    static int kSlices(int m, int n, int k, int batch, int multiprocessors) {
        long tiles = batch * KernelLauncher.ceilDiv(m, TILE) * KernelLauncher.ceilDiv(n, TILE);
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
            // per group: yT_g [FN/groups, B*P] = W_g [FN/groups, K] * col_g [K, B*P]
            int gf = g.groupFilters();
            int k = g.filterSize();
            gemm.sgemmStridedBatched(false, false, gf, columns, k, 1f, w, k, (long) gf * k, col, ld, (long) k * ld, 0f,
                    yT, ld, (long) gf * ld, g.groups());
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
        int gf = g.groupFilters();
        int k = g.filterSize();
        int ld = plan.ld();
        boolean filter = dw != 0;
        long col = workspace.address(workspaceBytes(g, filter ? ConvPass.BACKWARD_FILTER : ConvPass.BACKWARD_DATA));
        long dyT = col + plan.colBytes(g);
        long partial = dyT + plan.chwBytes(g);
        long biasParts = partial + plan.partialBytes(g);
        for (int n0 = 0; n0 < g.n(); n0 += plan.chunk()) {
            int images = Math.min(plan.chunk(), g.n() - n0);
            int columns = images * p;
            layoutCopy("nchw_to_cnhw_f32", images * fn, p, dy + 4L * n0 * fn * p, dyT, images, fn, p, ld);
            if (filter) {
                long xAt = x + 4L * n0 * g.imageSize();
                launcher.launch("im2col_f32", (long) images * g.c() * p, im2colArgs(g, xAt, col, images, ld));
                filterGradient(g, columns, ld, Math.min(plan.kSlices(),
                        kSlices(gf, k, columns, g.groups(), multiprocessors)), dyT, col, partial, dw);
                if (dbias != 0) {
                    int slices = (int) KernelLauncher.ceilDiv(columns, BIAS_SLICE);
                    launcher.launchGrid("row_sum_slices_f32", slices, Math.min(fn, KernelGemmProvider.MAX_GRID_Z), 1,
                            KernelLauncher.BLOCK, 0, dyT, biasParts, fn, columns, ld, BIAS_SLICE);
                    launcher.launch("sum_batches_accumulate_f32", fn, biasParts, dbias, slices, fn);
                }
            }
            if (dx != 0) {
                // per group: col_g [K, B*P] = W_g^T [K, FN/groups] * dyT_g [FN/groups, B*P]
                gemm.sgemmStridedBatched(true, false, k, columns, gf, 1f, w, k, (long) gf * k, dyT, ld, (long) gf * ld,
                        0f, col, ld, (long) k * ld, g.groups());
                long dxAt = dx + 4L * n0 * g.imageSize();
                launcher.launch("col2im_f32", (long) images * g.c() * g.h() * g.w(),
                        im2colArgs(g, col, dxAt, images, ld));
            }
        }
    }

    /**
     * Per group dW_g [FN/groups, K] += dyT_g [FN/groups, columns] * col_g^T [columns, K]: one GEMM batched over
     * the groups whose K is the chunk's columns, or, group by group, K cut into slices: partial_j = the product
     * over columns [j*L, (j+1)*L), a strided batch of equal slices plus one shorter last slice, then dW_g += the
     * partials summed in slice order (deterministic).
     */
    private void filterGradient(ConvGeometry g, int columns, int ld, int slices, long dyT, long col, long partial,
                                long dw) {
        int gf = g.groupFilters();
        int k = g.filterSize();
        long dwSize = (long) gf * k;
        if (slices <= 1) {
            gemm.sgemmStridedBatched(false, true, gf, k, columns, 1f, dyT, ld, (long) gf * ld, col, ld, (long) k * ld,
                    1f, dw, k, dwSize, g.groups());
            return;
        }
        int length = (int) KernelLauncher.ceilDiv(columns, slices);
        int full = columns / length;
        int rest = columns - full * length;
        for (int group = 0; group < g.groups(); group++) {
            long dyTg = dyT + 4L * group * gf * ld;
            long colg = col + 4L * group * k * ld;
            gemm.sgemmStridedBatched(false, true, gf, k, length, 1f, dyTg, ld, length, colg, ld, length, 0f, partial,
                    k, dwSize, full);
            if (rest > 0) {
                long offset = 4L * full * length;
                gemm.sgemmStridedBatched(false, true, gf, k, rest, 1f, dyTg + offset, ld, 0, colg + offset, ld, 0, 0f,
                        partial + 4L * full * dwSize, k, 0, 1);
            }
            launcher.launch("sum_batches_accumulate_f32", dwSize, partial, dw + 4L * group * dwSize,
                    full + (rest > 0 ? 1 : 0), (int) dwSize);
        }
    }
}
