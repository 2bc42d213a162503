package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import org.convnet4j.tensor.Tensor;

/**
 * The dense family on the GPU: GEMM and the fully connected layer through the {@link GemmProvider}, and the
 * per-channel bias kernels of kernels/dense.cu (the convolution's bias gradient is this family's too).
 * Matrices are row-major; a bias is per channel of [N, C, S] (S = 1 for a fully connected layer).
 */
final class CudaDense {
    private final KernelLauncher launcher;
    private final GemmProvider gemm;

    CudaDense(CudaOpContext context) {
        this.launcher = context.launcher();
        this.gemm = context.gemm();
    }

    /** c [m,n] = alpha * op(a) * op(b) + beta * c, with op(a) [m,k] and op(b) [k,n]. */
    void gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha, float beta, int m,
              int n, int k) {
        gemm.sgemmStridedBatched(transposeA, transposeB, m, n, k, alpha, addressOf(a), a.shape().dim(1), 0,
                addressOf(b), b.shape().dim(1), 0, beta, addressOf(c), n, 0, 1);
    }

    /** y [n,m] = x [n,k] * w^T + bias (bias [m] may be null). */
    void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y, int n, int m, int k) {
        gemm.sgemmStridedBatched(false, true, n, m, k, 1f, addressOf(x), k, 0, addressOf(w), k, 0, 0f, addressOf(y),
                m, 0, 1);
        if (bias != null) {
            addBias(y, bias, m, 1);
        }
    }

    /** dx = dy * w (when dx is not null), dw += dy^T * x, dbias += the column sums of dy (when not null). */
    void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias, int n, int m, int k) {
        if (dx != null) { // dx [N,K] = dy [N,M] * w [M,K]
            gemm.sgemmStridedBatched(false, false, n, k, m, 1f, addressOf(dy), m, 0, addressOf(w), k, 0, 0f,
                    addressOf(dx), k, 0, 1);
        }
        // dw [M,K] += dy^T [M,N] * x [N,K]
        gemm.sgemmStridedBatched(true, false, m, k, n, 1f, addressOf(dy), m, 0, addressOf(x), k, 0, 1f,
                addressOf(dw), k, 0, 1);
        if (dbias != null) {
            biasGradient(dy, dbias, n, m, 1);
        }
    }

    /** y [N, C, S] += bias [C]. */
    void addBias(Tensor y, Tensor bias, int channels, int spatial) {
        launcher.launch("add_bias_f32", y.size(), y, bias, y.size(), channels, spatial);
    }

    /** dbias[c] += sum over n and s of dy [N, C, S]: one block per channel, a fixed-order tree reduction. */
    void biasGradient(Tensor dy, Tensor dbias, int n, int channels, int spatial) {
        launcher.launchGrid("bias_grad_f32", channels, 1, 1, KernelLauncher.BLOCK, 0, dy, dbias, n, channels,
                spatial);
    }
}
