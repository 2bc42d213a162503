package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import java.util.Arrays;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvolutionOps;
import org.convnet4j.tensor.Tensor;

/**
 * The convolution family on the CPU: im2col + {@link CpuGemm} in Caffe's layout, one image per task
 * (forward and backward data), and the filter gradient summed in image order. Column buffers come from
 * the backend's workspaces. Arguments are checked by the backend (OpChecks) before they get here.
 */
final class CpuConvolution implements ConvolutionOps {
    /** Floats of column matrices the filter gradient may hold at once (32 MiB): bounds its chunk of images. */
    private static final int FILTER_CHUNK_FLOATS = 8 << 20;

    private final CpuContext context;

    CpuConvolution(CpuContext context) {
        this.context = context;
    }

    /** y = conv(x, w) + bias (bias may be null). */
    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        int fn = g.fn();
        int rows = g.ck();
        int p = g.p();
        int imageIn = g.imageSize();
        boolean identity = Im2col.isIdentity(g);
        float[] xv = floats(x);
        float[] wv = floats(w);
        float[] yv = floats(y);
        float[] bv = floats(bias);
        CpuGemm gemm = context.gemm();
        context.threads().parallelFor(g.n(), (part, n0, n1) -> {
            float[] col = identity ? null : context.workspaces().columns(part, rows * p);
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

    /** dx = col2im(w^T * dy), overwritten. */
    @Override
    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        int fn = g.fn();
        int rows = g.ck();
        int p = g.p();
        int imageIn = g.imageSize();
        boolean identity = Im2col.isIdentity(g);
        float[] dyv = floats(dy);
        float[] wv = floats(w);
        float[] dxv = floats(dx);
        CpuGemm gemm = context.gemm();
        context.threads().parallelFor(g.n(), (part, n0, n1) -> {
            float[] col = identity ? null : context.workspaces().columns(part, rows * p);
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

    /** dw += dy * col(x)^T over the batch, dbias += sums of dy per output channel (dbias may be null). */
    @Override
    public void conv2dBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        int fn = g.fn();
        int rows = g.ck();
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
        int imageCols = rows * p;
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
        if (dbias != null) {
            CpuDense.channelSums(threads, dyv, n, fn, p, floats(dbias));
        }
    }
}
