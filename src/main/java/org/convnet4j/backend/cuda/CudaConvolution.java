package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.tensor.Tensor;

/**
 * The convolution family on the GPU: the kernels of kernels/convolution.cu (im2col, col2im, the layout
 * copies between NCHW and the GEMM's channel-major CNHW, the in-order sum of K slices) around SGEMMs from
 * the {@link GemmProvider}, a chunk of B images at a time (as many as fit {@link #MAX_WORKSPACE_BYTES}).
 *
 * <p>Forward: im2col into one column matrix col [C*FH*FW, B*OH*OW] for the whole chunk, ONE SGEMM
 * yT [FN, B*OH*OW] = W [FN, C*FH*FW] * col, then a copy of yT into NCHW that adds the bias on the way.
 * Backward data: dy's chunk copied to dyT [FN, B*OH*OW], col = W^T * dyT (one SGEMM), then col2im (a
 * gather, deterministic). Backward filter: dyT and col as above, then dW += dyT * col^T, one SGEMM with
 * K = B*OH*OW accumulating straight into dW (beta 1; deterministic for a given chunk size), or, for a GEMM
 * provider that does not split a long K itself ({@link GemmProvider#kSlices}), K in slices whose products
 * are summed in order. The bias gradient is the dense family's (bias_grad_f32).
 */
final class CudaConvolution {
    /** Column workspace bound: chunks of images are sized to stay under it. */
    static final long MAX_WORKSPACE_BYTES = 256L << 20;

    private final KernelLauncher launcher;
    private final GemmProvider gemm;
    private final Workspace workspace;

    CudaConvolution(CudaOpContext context) {
        this.launcher = context.launcher();
        this.gemm = context.gemm();
        this.workspace = context.workspace();
    }

    /** Workspace per image of a chunk: its columns [CK, P] and its output (or dy) [FN, P]. */
    private static long bytesPerImage(ConvGeometry g) {
        return colBytesPerImage(g) + 4L * g.fn() * g.p();
    }

    private static long colBytesPerImage(ConvGeometry g) {
        return 4L * g.ck() * g.p();
    }

    /** Images per chunk: as many as fit under MAX_WORKSPACE_BYTES, at least 1, at most N. */
    private static int chunk(ConvGeometry g) {
        return (int) Math.max(1, Math.min(g.n(), MAX_WORKSPACE_BYTES / bytesPerImage(g)));
    }

    /** The workspace one convolution of this geometry takes in any of its passes, in bytes. */
    static long workspaceBytes(ConvGeometry g) {
        return bytesPerImage(g) * chunk(g);
    }

    /** The arguments of im2col_f32 and col2im_f32: the two pointers, the image count and the sizes. */
    private static Object[] im2colArgs(ConvGeometry g, long from, long to, int images) {
        ConvSpec s = g.spec();
        return new Object[] {from, to, images, g.c(), g.h(), g.w(), g.fh(), g.fw(), g.oh(), g.ow(), s.strideH(),
                s.strideW(), s.padH(), s.padW(), s.dilationH(), s.dilationW()};
    }

    /** y = conv(x, w) + bias (bias may be null). */
    void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        int ck = g.ck();
        int p = g.p();
        int chunk = chunk(g);
        long col = workspace.address(workspaceBytes(g));
        long yT = col + colBytesPerImage(g) * chunk;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int columns = images * p;
            long xAt = addressOf(x) + 4L * n0 * g.imageSize();
            launcher.launch("im2col_f32", (long) images * g.c() * p, im2colArgs(g, xAt, col, images));
            // yT [FN, B*P] = W [FN, CK] * col [CK, B*P]
            gemm.sgemmStridedBatched(false, false, g.fn(), columns, ck, 1f, addressOf(w), ck, 0, col, columns, 0,
                    0f, yT, columns, 0, 1);
            // y [B, FN, P] = yT [FN, B, P] + bias
            launcher.launch("cnhw_to_nchw_f32", (long) g.fn() * columns, yT, bias == null ? (Object) 0L : bias,
                    addressOf(y) + 4L * n0 * g.fn() * p, images, g.fn(), p);
        }
    }

    /** dx = the gradient of the convolution with respect to its input. */
    void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        int ck = g.ck();
        int p = g.p();
        int chunk = chunk(g);
        long col = workspace.address(workspaceBytes(g));
        long dyT = col + colBytesPerImage(g) * chunk;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int columns = images * p;
            launcher.launch("nchw_to_cnhw_f32", (long) g.fn() * columns, addressOf(dy) + 4L * n0 * g.fn() * p, dyT,
                    images, g.fn(), p);
            // col [CK, B*P] = W^T [CK, FN] * dyT [FN, B*P]
            gemm.sgemmStridedBatched(true, false, ck, columns, g.fn(), 1f, addressOf(w), ck, 0, dyT, columns, 0,
                    0f, col, columns, 0, 1);
            long dxAt = addressOf(dx) + 4L * n0 * g.imageSize();
            launcher.launch("col2im_f32", (long) images * g.c() * g.h() * g.w(), im2colArgs(g, col, dxAt, images));
        }
    }

    /** dw += the gradient of the convolution with respect to its filters. */
    void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        int ck = g.ck();
        int p = g.p();
        int fn = g.fn();
        int chunk = chunk(g);
        int maxSlices = gemm.kSlices(fn, ck, chunk * p);
        long col = workspace.address(workspaceBytes(g) + (maxSlices > 1 ? 4L * maxSlices * fn * ck : 0));
        long dyT = col + colBytesPerImage(g) * chunk;
        long partial = dyT + 4L * fn * p * chunk;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int columns = images * p;
            launcher.launch("nchw_to_cnhw_f32", (long) fn * columns, addressOf(dy) + 4L * n0 * fn * p, dyT,
                    images, fn, p);
            long xAt = addressOf(x) + 4L * n0 * g.imageSize();
            launcher.launch("im2col_f32", (long) images * g.c() * p, im2colArgs(g, xAt, col, images));
            int slices = Math.min(maxSlices, gemm.kSlices(fn, ck, columns));
            if (slices <= 1) {
                // dW [FN, CK] += dyT [FN, B*P] * col^T [B*P, CK]: the sum over the chunk's images is the GEMM's K
                gemm.sgemmStridedBatched(false, true, fn, ck, columns, 1f, dyT, columns, 0, col, columns, 0,
                        1f, addressOf(dw), ck, 0, 1);
            } else {
                filterGradientInSlices(fn, ck, columns, slices, dyT, col, partial, dw);
            }
        }
    }

    /**
     * dW += dyT * col^T with K cut into slices (for a GEMM provider that does not split K itself): partial_j =
     * the product over columns [j*L, (j+1)*L), a strided batch of equal slices plus one shorter last slice,
     * then dW += the partials summed in slice order (deterministic).
     */
    private void filterGradientInSlices(int fn, int ck, int columns, int slices, long dyT, long col, long partial,
                                        Tensor dw) {
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
}
