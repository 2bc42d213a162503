// convolution_fft.cu: the kernels around cuFFT of the FFT convolution (stride 1, dilation 1): padding real planes
// into P x Q tiles, the complex product summed over channels at every frequency, and cropping the inverse
// transforms back to NCHW. cuFFT (CudaConvolutionFft) does the transforms: batched 2-D real-to-complex R2C of
// [planes, P, Q] into the Hermitian half [planes, P, Q/2+1] (F = P*(Q/2+1) frequencies a plane), and the
// unnormalized inverse C2R back, so every inverse is scaled by 1/(P*Q) in the crop.
//
// Placement: element (r, c) of a plane lives at tile position ((r - shiftH) mod P, (c - shiftW) mod Q), zeros
// elsewhere; with x and w at shift 0 and dy at shift p (its element o at o - p, wrapped), for a P x Q tile with
// P >= H + max(2 pH, FH - 1) (Q likewise) no wrapped term reaches a computed element, and
//   forward          y  = IDFT(sum_c X[n,c] conj(W[k,c])) / PQ   read at shift p   (a cross-correlation)
//   backward data    dx = IDFT(sum_k DY[n,k] W[k,c]) / PQ        read at shift 0   (a convolution)
//   backward filter  dw = IDFT(sum_n conj(DY[n,k]) X[n,c]) / PQ  read at shift 0, added to dw
// Complex numbers are interleaved (re, im) float pairs, as cuFFT's cufftComplex. Spectra are [planes, F], plane
// = (n, c), (k, c) or (n, k) as in NCHW / KCHW.
// Launch geometry: grid-stride, 256-thread blocks (common.cuh); consecutive threads take consecutive columns of a
// tile (pad, crop) or consecutive frequencies f (product), so loads and stores are coalesced.
//   fft_pad_f32      per tile element (plane, u, v): tiles = the plane's element at (u, v), or 0.
//   fft_product_f32  per (4x4 block of outputs (i, j), f): out(i, j, f) (+)= sum_l a(i, l, f) b(j, l, f).
//   fft_crop_f32     per output element (plane, r, c): out (+)= tile at (r, c) / PQ, plus bias[plane % channels].
#include "common.cuh"

// One complex number, as cuFFT stores it.
struct __align__(8) cn4j_complex {
    float re, im;
};

// One thread per tile element: tiles [planes, P, Q] from src [planes, rows, cols], the element (r, c) at tile
// position ((r - shiftH) mod P, (c - shiftW) mod Q) (0 <= shift < P, Q; rows <= P, cols <= Q), 0 elsewhere.
extern "C" __global__ void fft_pad_f32(const float* src, float* tiles, long long planes, int rows, int cols, int P,
                                       int Q, int shiftH, int shiftW) {
    const long long tile = (long long)P * Q;
    GRID_STRIDE_LOOP(i, planes * tile) {
        long long plane = i / tile;
        int at = (int)(i - plane * tile);
        int r = at / Q + shiftH;
        int c = at % Q + shiftW;
        r = r >= P ? r - P : r;
        c = c >= Q ? c - Q : c;
        tiles[i] = r < rows && c < cols ? src[(plane * rows + r) * cols + c] : 0.0f;
    }
}

#define CN4J_FFT_BLOCK 4

// One thread per (4 x 4 block of (i, j), frequency f): for i < I, j < J in the block,
//   out[(i*oI + j*oJ) F + f] = (accumulate ? out : 0) + sum_{l < L} opA(a[(i*aI + l*aL) F + f]) opB(b[(j*bJ + l*bL) F + f])
// op = complex conjugate where conjA / conjB, else identity; l runs in order (deterministic). Strides are in
// complex elements. Consecutive threads take consecutive f.
extern "C" __global__ void fft_product_f32(const float* a, const float* b, float* out, int I, int J, int L, int F,
                                           int aI, int aL, int bJ, int bL, int oI, int oJ, int conjA, int conjB,
                                           int accumulate) {
    const cn4j_complex* A = reinterpret_cast<const cn4j_complex*>(a);
    const cn4j_complex* B = reinterpret_cast<const cn4j_complex*>(b);
    cn4j_complex* O = reinterpret_cast<cn4j_complex*>(out);
    const int blocksJ = (J + CN4J_FFT_BLOCK - 1) / CN4J_FFT_BLOCK;
    const long long blocks = (long long)((I + CN4J_FFT_BLOCK - 1) / CN4J_FFT_BLOCK) * blocksJ;
    const float sa = conjA ? -1.0f : 1.0f;
    const float sb = conjB ? -1.0f : 1.0f;
    GRID_STRIDE_LOOP(t, blocks * F) {
        long long blk = t / F;
        int f = (int)(t - blk * F);
        int i0 = (int)(blk / blocksJ) * CN4J_FFT_BLOCK;
        int j0 = (int)(blk % blocksJ) * CN4J_FFT_BLOCK;
        float re[CN4J_FFT_BLOCK][CN4J_FFT_BLOCK] = {};
        float im[CN4J_FFT_BLOCK][CN4J_FFT_BLOCK] = {};
        for (int l = 0; l < L; ++l) {
            cn4j_complex x[CN4J_FFT_BLOCK], y[CN4J_FFT_BLOCK];
#pragma unroll
            for (int u = 0; u < CN4J_FFT_BLOCK; ++u) {
                cn4j_complex zero = {0.0f, 0.0f};
                x[u] = i0 + u < I ? A[((long long)(i0 + u) * aI + (long long)l * aL) * F + f] : zero;
                y[u] = j0 + u < J ? B[((long long)(j0 + u) * bJ + (long long)l * bL) * F + f] : zero;
                x[u].im *= sa;
                y[u].im *= sb;
            }
#pragma unroll
            for (int u = 0; u < CN4J_FFT_BLOCK; ++u) {
#pragma unroll
                for (int v = 0; v < CN4J_FFT_BLOCK; ++v) {
                    re[u][v] += x[u].re * y[v].re - x[u].im * y[v].im;
                    im[u][v] += x[u].re * y[v].im + x[u].im * y[v].re;
                }
            }
        }
#pragma unroll
        for (int u = 0; u < CN4J_FFT_BLOCK; ++u) {
#pragma unroll
            for (int v = 0; v < CN4J_FFT_BLOCK; ++v) {
                if (i0 + u < I && j0 + v < J) {
                    cn4j_complex* o = O + ((long long)(i0 + u) * oI + (long long)(j0 + v) * oJ) * F + f;
                    cn4j_complex s = {re[u][v], im[u][v]};
                    if (accumulate) {
                        s.re += o->re;
                        s.im += o->im;
                    }
                    *o = s;
                }
            }
        }
    }
}

// One thread per output element (plane, r, c) of out [planes, rows, cols]:
//   out = (accumulate ? out : 0) + scale * tiles[plane, (r - shiftH) mod P, (c - shiftW) mod Q] + bias[plane % channels]
// (bias may be null: none).
extern "C" __global__ void fft_crop_f32(const float* tiles, const float* bias, float* out, long long planes,
                                        int channels, int rows, int cols, int P, int Q, int shiftH, int shiftW,
                                        float scale, int accumulate) {
    const long long size = (long long)rows * cols;
    GRID_STRIDE_LOOP(i, planes * size) {
        long long plane = i / size;
        int at = (int)(i - plane * size);
        int u = at / cols - shiftH;
        int v = at % cols - shiftW;
        u = u < 0 ? u + P : u;
        v = v < 0 ? v + Q : v;
        float value = scale * tiles[(plane * P + u) * Q + v];
        if (bias != nullptr) {
            value += bias[plane % channels];
        }
        out[i] = accumulate ? out[i] + value : value;
    }
}
