// conv_layout.cu: moving a convolution's output between NCHW and the channel-major layout of its GEMM.
//
// Layout: nchw [B, F, P] (an NCHW tensor with P = H*W); cnhw [F, B, P] (what W * col gives for a chunk of
// B images, im2col.cu; and what dy must be for the chunk's filter-gradient GEMM).
// Launch geometry: grid-stride, 256-thread blocks (common.cuh), one thread per element in the order of the
// written array; consecutive threads touch consecutive p on both sides, so reads and writes are coalesced.
// Kernels:
//   cnhw_to_nchw_f32   nchw[b][f][p] = cnhw[f][b][p] + bias[f] (bias may be null: no bias); the
//                      convolution's bias add rides along with the copy.
//   nchw_to_cnhw_f32   cnhw[f][b][p] = nchw[b][f][p].
#include "common.cuh"

// One thread per output element (b, f, p).
extern "C" __global__ void cnhw_to_nchw_f32(const float* cnhw, const float* bias, float* nchw, int B, int F, int P) {
    const long long total = (long long)B * F * P;
    GRID_STRIDE_LOOP(i, total) {
        long long bf = i / P; // b*F + f
        int p = (int)(i - bf * P);
        int b = (int)(bf / F);
        int f = (int)(bf - (long long)b * F);
        float v = cnhw[((long long)f * B + b) * P + p];
        nchw[i] = bias ? v + bias[f] : v;
    }
}

// One thread per output element (f, b, p).
extern "C" __global__ void nchw_to_cnhw_f32(const float* nchw, float* cnhw, int B, int F, int P) {
    const long long total = (long long)B * F * P;
    GRID_STRIDE_LOOP(i, total) {
        long long fb = i / P; // f*B + b
        int p = (int)(i - fb * P);
        int f = (int)(fb / B);
        int b = (int)(fb - (long long)f * B);
        cnhw[i] = nchw[((long long)b * F + f) * P + p];
    }
}
