package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.DenseOps;
import org.convnet4j.backend.GemmGeometry;
import org.convnet4j.backend.LinearGeometry;
import org.convnet4j.tensor.Tensor;

/**
 * The dense family on the GPU: GEMM and the fully connected layer through the {@link GemmProvider}, and the
 * per-channel bias kernels of kernels/dense.cu (the convolution's bias gradient is this family's too).
 * Matrices are row-major; a bias is per channel of [N, C, S] (S = 1 for a fully connected layer).
 */
final class CudaDense implements DenseOps {
    private final KernelLauncher launcher;
    private final GemmProvider gemm;

    CudaDense(CudaOpContext context) {
        this.launcher = context.launcher();
        this.gemm = context.gemm();
    }

    /** c [m,n] = alpha * op(a) * op(b) + beta * c, with op(a) [m,k] and op(b) [k,n] ({@link GemmGeometry}). */
    @Override
    public void gemm(GemmGeometry g, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha,
                     float beta) {
        gemm.sgemmStridedBatched(transposeA, transposeB, g.m(), g.n(), g.k(), alpha, addressOf(a), g.lda(), 0,
                addressOf(b), g.ldb(), 0, beta, addressOf(c), g.n(), 0, 1);
    }

    /** y [n,m] = x [n,k] * w^T + bias (bias [m] may be null). */
    @Override
    public void linearForward(LinearGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        int n = g.n();
        int m = g.m();
        int k = g.k();
        gemm.sgemmStridedBatched(false, true, n, m, k, 1f, addressOf(x), k, 0, addressOf(w), k, 0, 0f, addressOf(y),
                m, 0, 1);
        if (bias != null) {
            addBias(new ChannelGeometry(n, m, 1), y, bias);
        }
    }

    /** dx = dy * w (when dx is not null), dw += dy^T * x, dbias += the column sums of dy (when not null). */
    @Override
    public void linearBackward(LinearGeometry g, Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        int n = g.n();
        int m = g.m();
        int k = g.k();
        if (dx != null) { // dx [N,K] = dy [N,M] * w [M,K]
            gemm.sgemmStridedBatched(false, false, n, k, m, 1f, addressOf(dy), m, 0, addressOf(w), k, 0, 0f,
                    addressOf(dx), k, 0, 1);
        }
        // dw [M,K] += dy^T [M,N] * x [N,K]
        gemm.sgemmStridedBatched(true, false, m, k, n, 1f, addressOf(dy), m, 0, addressOf(x), k, 0, 1f,
                addressOf(dw), k, 0, 1);
        if (dbias != null) {
            biasGradient(new ChannelGeometry(n, m, 1), dy, dbias);
        }
    }

    /** y [N, C, S] += bias [C] ({@link ChannelGeometry}). */
    @Override
    public void addBias(ChannelGeometry g, Tensor y, Tensor bias) {
        launcher.launch("add_bias_f32", y.size(), y, bias, y.size(), g.channels(), g.inner());
    }

    /** dbias[c] += sum over n and s of dy [N, C, S]: one block per channel, a fixed-order tree reduction. */
    @Override
    public void biasGradient(ChannelGeometry g, Tensor dy, Tensor dbias) {
        launcher.launchGrid("bias_grad_f32", g.channels(), 1, 1, KernelLauncher.BLOCK, 0, dy, dbias, g.n(),
                g.channels(), g.inner());
    }
}
