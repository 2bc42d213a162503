package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.DenseOps;
import org.convnet4j.backend.GemmGeometry;
import org.convnet4j.backend.LinearGeometry;
import org.convnet4j.tensor.Tensor;

/**
 * The dense family on the CPU: GEMM, the fully connected layer and per-channel bias, on
 * {@link CpuGemm}. Arguments are checked by the backend (OpChecks) before they get here.
 */
final class CpuDense implements DenseOps {
    private final CpuContext context;

    CpuDense(CpuContext context) {
        this.context = context;
    }

    /** c = alpha * op(a) * op(b) + beta * c. */
    @Override
    public void gemm(GemmGeometry g, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha,
                     float beta) {
        context.gemm().gemm(transposeA, transposeB, g.m(), g.n(), g.k(), alpha, floats(a), 0, g.lda(),
                floats(b), 0, g.ldb(), beta, floats(c), 0, g.n());
    }

    /** y = x * w^T + bias (bias may be null). */
    @Override
    public void linearForward(LinearGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        int n = g.n();
        int k = g.k();
        int m = g.m();
        float[] yv = floats(y);
        context.gemm().gemm(false, true, n, m, k, 1f, floats(x), 0, k, floats(w), 0, k, 0f, yv, 0, m);
        if (bias != null) {
            float[] bv = floats(bias);
            for (int i = 0; i < n; i++) {
                int row = i * m;
                for (int j = 0; j < m; j++) {
                    yv[row + j] += bv[j];
                }
            }
        }
    }

    /** dx = dy * w (when dx is not null), dw += dy^T * x, dbias += column sums of dy (when not null). */
    @Override
    public void linearBackward(LinearGeometry g, Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        int n = g.n();
        int k = g.k();
        int m = g.m();
        float[] dyv = floats(dy);
        CpuGemm gemm = context.gemm();
        if (dx != null) {
            gemm.gemm(false, false, n, k, m, 1f, dyv, 0, m, floats(w), 0, k, 0f, floats(dx), 0, k);
        }
        gemm.gemm(true, false, m, k, n, 1f, dyv, 0, m, floats(x), 0, k, 1f, floats(dw), 0, k);
        if (dbias != null) {
            float[] db = floats(dbias);
            for (int j = 0; j < m; j++) {
                float s = 0f;
                for (int i = 0; i < n; i++) {
                    s += dyv[i * m + j];
                }
                db[j] += s;
            }
        }
    }

    /** y[n, c, ...] += bias[c]. */
    @Override
    public void addBias(ChannelGeometry g, Tensor y, Tensor bias) {
        int channels = g.channels();
        int inner = g.inner();
        float[] yv = floats(y);
        float[] bv = floats(bias);
        context.threads().parallelFor(g.n() * channels, (part, p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                float b = bv[p % channels];
                int off = p * inner;
                for (int i = 0; i < inner; i++) {
                    yv[off + i] += b;
                }
            }
        });
    }

    /** dbias[c] += sum over n and the inner positions of dy[n, c, ...]. */
    @Override
    public void biasGradient(ChannelGeometry g, Tensor dy, Tensor dbias) {
        channelSums(context.threads(), floats(dy), g.n(), g.channels(), g.inner(), floats(dbias));
    }

    /** db[c] += sum over n, then i, of g[(n*channels + c)*inner + i]; split over channels. */
    static void channelSums(CpuThreads threads, float[] g, int n, int channels, int inner, float[] db) {
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
}
