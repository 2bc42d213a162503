package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import java.util.Arrays;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvolutionOps;
import org.convnet4j.tensor.Tensor;

/**
 * The convolution family on the CPU: im2col + {@link CpuGemm} in Caffe's layout, one image per task
 * (forward and backward data), and the filter gradient summed in image order. Grouped convolutions run one
 * GEMM per group on its slice of the image's column matrix (rows [g*filterSize, (g+1)*filterSize)), of the
 * weights and of the output, see {@link ConvGeometry}. Column buffers come from
 * the backend's workspaces. Arguments are checked by the backend (OpChecks) before they get here.
 */
final class CpuConvolution implements ConvolutionOps {
    /** Floats of column matrices the filter gradient may hold at once (32 MiB): bounds its chunk of images. */
    private static final int FILTER_CHUNK_FLOATS = 8 << 20;

    private final CpuContext context;

    CpuConvolution(CpuContext context) {
        this.context = context;
    }

    /** y = conv(x, w) + bias (bias may be null); per group y_g = W_g * col_g (see {@link ConvGeometry}). */
    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        int fn = g.fn();
        int gf = g.groupFilters();
        int k = g.filterSize();
        int p = g.p();
        int imageIn = g.imageSize();
        boolean identity = Im2col.isIdentity(g);
        float[] xv = floats(x);
        float[] wv = floats(w);
        float[] yv = floats(y);
        float[] bv = floats(bias);
        CpuGemm gemm = context.gemm();
        context.threads().parallelFor(g.n(), (part, n0, n1) -> {
            float[] col = identity ? null : context.workspaces().columns(part, g.ck() * p);
            for (int n = n0; n < n1; n++) {
                float[] src = xv;
                int srcOff = n * imageIn;
                if (col != null) {
                    Im2col.im2col(g, xv, n * imageIn, col, 0);
                    src = col;
                    srcOff = 0;
                }
                int yOff = n * fn * p;
                for (int gi = 0; gi < g.groups(); gi++) {
                    gemm.gemmBlock(part, false, false, 0, gf, 0, p, k, 1f, wv, gi * gf * k, k, src,
                            srcOff + gi * k * p, p, 0f, yv, yOff + gi * gf * p, p);
                }
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

    /** dx = col2im(w^T * dy), overwritten; per group col_g = W_g^T * dy_g. */
    @Override
    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        int fn = g.fn();
        int gf = g.groupFilters();
        int k = g.filterSize();
        int p = g.p();
        int imageIn = g.imageSize();
        boolean identity = Im2col.isIdentity(g);
        float[] dyv = floats(dy);
        float[] wv = floats(w);
        float[] dxv = floats(dx);
        CpuGemm gemm = context.gemm();
        context.threads().parallelFor(g.n(), (part, n0, n1) -> {
            float[] col = identity ? null : context.workspaces().columns(part, g.ck() * p);
            for (int n = n0; n < n1; n++) {
                int dyOff = n * fn * p;
                float[] dst = identity ? dxv : col;
                int dstOff = identity ? n * imageIn : 0;
                for (int gi = 0; gi < g.groups(); gi++) {
                    gemm.gemmBlock(part, true, false, 0, k, 0, p, gf, 1f, wv, gi * gf * k, k, dyv,
                            dyOff + gi * gf * p, p, 0f, dst, dstOff + gi * k * p, p);
                }
                if (!identity) {
                    Arrays.fill(dxv, n * imageIn, (n + 1) * imageIn, 0f);
                    Im2col.col2im(g, col, 0, dxv, n * imageIn);
                }
            }
        });
    }

    /**
     * dw += dy * col(x)^T over the batch (per group dW_g += dy_g * col_g^T), dbias += sums of dy per output
     * channel (dbias may be null).
     */
    @Override
    public void conv2dBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        int fn = g.fn();
        int gf = g.groupFilters();
        int k = g.filterSize();
        int p = g.p();
        int imageIn = g.imageSize();
        int n = g.n();
        boolean identity = Im2col.isIdentity(g);
        float[] xv = floats(x);
        float[] dyv = floats(dy);
        float[] dwv = floats(dw);
        CpuThreads threads = context.threads();
        CpuGemm gemm = context.gemm();
        // Images are handled in chunks whose size depends only on the shapes: im2col of the chunk in
        // parallel over images, then dW += dY_n * col_n^T for each image in order, split over dW's rows
        // (or columns when there are fewer rows than threads), so every dW element sums in image order.
        int imageCols = g.ck() * p;
        int chunk = identity ? n : Math.max(1, Math.min(n, FILTER_CHUNK_FLOATS / imageCols));
        float[] cols = identity ? xv : context.workspaces().filterChunk((long) chunk * imageCols);
        boolean splitRows = fn >= threads.threads();
        for (int n0 = 0; n0 < n; n0 += chunk) {
            int start = n0;
            int count = Math.min(chunk, n - n0);
            if (!identity) {
                threads.parallelFor(count, (part, i0, i1) -> {
                    for (int i = i0; i < i1; i++) {
                        Im2col.im2col(g, xv, (start + i) * imageIn, cols, i * imageCols);
                    }
                });
            }
            int colBase = identity ? start * imageCols : 0;
            threads.parallelFor(splitRows ? fn : k, (part, r0, r1) -> {
                for (int i = 0; i < count; i++) {
                    int dyOff = (start + i) * fn * p;
                    int colOff = colBase + i * imageCols;
                    for (int gi = 0; gi < g.groups(); gi++) {
                        // This part's rows of dW_g (rows of dW split across groups), or all of them.
                        int lo = splitRows ? Math.max(r0 - gi * gf, 0) : 0;
                        int hi = splitRows ? Math.min(r1 - gi * gf, gf) : gf;
                        if (lo < hi) {
                            gemm.gemmBlock(part, false, true, lo, hi, splitRows ? 0 : r0, splitRows ? k : r1, p, 1f,
                                    dyv, dyOff + gi * gf * p, p, cols, colOff + gi * k * p, p, 1f, dwv, gi * gf * k,
                                    k);
                        }
                    }
                }
            });
        }
        if (dbias != null) {
            CpuDense.channelSums(threads, dyv, n, fn, p, floats(dbias));
        }
    }
}
