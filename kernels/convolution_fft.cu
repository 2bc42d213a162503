// convolution_fft.cu: the kernels around cuFFT of the FFT convolution (stride 1, dilation 1): padding real planes
// into P x Q tiles, the complex product summed over channels at every frequency, and cropping the inverse
// transforms back to NCHW. cuFFT (CudaConvolutionFft) does the transforms: batched 2-D real-to-complex R2C of
// [planes, P, Q] into the Hermitian half [planes, P, Q/2+1] (F = P*(Q/2+1) frequencies a plane), and the
// unnormalized inverse C2R back, so every inverse is scaled by 1/(P*Q) in the crop.
//
// Layout: x, y, dx NCHW, w and dw KCHW; real tiles [planes, P, Q]; spectra [planes, F] of complex numbers as
// interleaved (re, im) float pairs (cuFFT's cufftComplex), plane = (n, c), (k, c) or (n, k) as in NCHW / KCHW.
// Placement: element (r, c) of a plane lives at tile position ((r - shiftH) mod P, (c - shiftW) mod Q), zeros
// elsewhere; with x and w at shift 0 and dy at shift p (its element o at o - p, wrapped), for a P x Q tile with
// P >= H + max(2 pH, FH - 1) (Q likewise) no wrapped term reaches a computed element, and
//   forward          y  = IDFT(sum_c X[n,c] conj(W[k,c])) / PQ   read at shift p   (a cross-correlation)
//   backward data    dx = IDFT(sum_k DY[n,k] W[k,c]) / PQ        read at shift 0   (a convolution)
//   backward filter  dw = IDFT(sum_n conj(DY[n,k]) X[n,c]) / PQ  read at shift 0, added to dw
// Launch geometry: pad and crop grid-stride, 256-thread blocks (common.cuh), consecutive threads on consecutive
// columns of a tile; the product on a 3-D grid of 256-thread blocks (below), a warp's lanes on consecutive
// frequencies f; so loads and stores are coalesced.
//   fft_pad_f32      per tile element (plane, u, v): tiles = the plane's element at (u, v), or 0.
//   fft_product_f32  per (f, 4x8 outputs (i, j)): out(i, j, f) (+)= sum_l a(i, l, f) b(j, l, f).
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

// The product's tiles: a block of 256 threads takes 32 consecutive frequencies (a warp's lanes) of an 8 x 32
// block of outputs (i, j), staging 4 steps of l of both operands in shared memory (8 + 32 complex values per
// frequency and step, each used 32 or 8 times); its 8 warps take 4 x 8 outputs each.
#define CN4J_FFT_F 32
#define CN4J_FFT_I 8
#define CN4J_FFT_J 32
#define CN4J_FFT_L 4

// The block's threads copy operand m (a or b) for rows r0 .. r0+R-1 (< rows), steps l0 .. l0+3 (< L) and frequencies
// f0 .. f0+31 (< F) into stage[l][r][f], conjugated where conj, zeros outside.
template <int R>
static __device__ void cn4j_fft_stage(const cn4j_complex* m, cn4j_complex (*stage)[R][CN4J_FFT_F], int r0, int rows,
                                      int rowStride, int l0, int L, int lStride, int f0, int F, int conj) {
    for (int e = threadIdx.x; e < CN4J_FFT_L * R * CN4J_FFT_F; e += blockDim.x) {
        int f = e % CN4J_FFT_F, r = e / CN4J_FFT_F % R, l = e / (CN4J_FFT_F * R);
        cn4j_complex v = {0.0f, 0.0f};
        if (f0 + f < F && r0 + r < rows && l0 + l < L) {
            v = m[((long long)(r0 + r) * rowStride + (long long)(l0 + l) * lStride) * F + f0 + f];
        }
        if (conj) {
            v.im = -v.im;
        }
        stage[l][r][f] = v;
    }
}

// One thread per (frequency f, 4 x 8 outputs (i, j)), on a grid of (ceil(F/32), ceil(J/32), ceil(I/8)) blocks of
// 256 threads: for i < I, j < J,
//   out[(i*oI + j*oJ) F + f] = (accumulate ? out : 0)
//                             + sum_{l < L} opA(a[(i*aI + l*aL) F + f]) opB(b[(j*bJ + l*bL) F + f])
// op = complex conjugate where conjA / conjB, else identity; l runs in order (deterministic). Strides are in
// complex elements.
extern "C" __global__ void fft_product_f32(const float* a, const float* b, float* out, int I, int J, int L, int F,
                                           int aI, int aL, int bJ, int bL, int oI, int oJ, int conjA, int conjB,
                                           int accumulate) {
    __shared__ cn4j_complex sa[CN4J_FFT_L][CN4J_FFT_I][CN4J_FFT_F];
    __shared__ cn4j_complex sb[CN4J_FFT_L][CN4J_FFT_J][CN4J_FFT_F];
    const cn4j_complex* A = reinterpret_cast<const cn4j_complex*>(a);
    const cn4j_complex* B = reinterpret_cast<const cn4j_complex*>(b);
    cn4j_complex* O = reinterpret_cast<cn4j_complex*>(out);
    const int lane = threadIdx.x % CN4J_FFT_F;
    const int warp = threadIdx.x / CN4J_FFT_F;
    const int f0 = blockIdx.x * CN4J_FFT_F;
    const int j0 = blockIdx.y * CN4J_FFT_J;
    const int i0 = blockIdx.z * CN4J_FFT_I;
    const int ti = (warp / 4) * 4; // this warp's first row of the block: 0 or 4
    const int tj = (warp % 4) * 8; // its first column: 0, 8, 16 or 24
    float re[4][8] = {};
    float im[4][8] = {};
    for (int l0 = 0; l0 < L; l0 += CN4J_FFT_L) {
        cn4j_fft_stage<CN4J_FFT_I>(A, sa, i0, I, aI, l0, L, aL, f0, F, conjA);
        cn4j_fft_stage<CN4J_FFT_J>(B, sb, j0, J, bJ, l0, L, bL, f0, F, conjB);
        __syncthreads();
#pragma unroll
        for (int l = 0; l < CN4J_FFT_L; ++l) {
            cn4j_complex x[4], y[8];
#pragma unroll
            for (int u = 0; u < 4; ++u) x[u] = sa[l][ti + u][lane];
#pragma unroll
            for (int v = 0; v < 8; ++v) y[v] = sb[l][tj + v][lane];
#pragma unroll
            for (int u = 0; u < 4; ++u) {
#pragma unroll
                for (int v = 0; v < 8; ++v) {
                    re[u][v] += x[u].re * y[v].re - x[u].im * y[v].im;
                    im[u][v] += x[u].re * y[v].im + x[u].im * y[v].re;
                }
            }
        }
        __syncthreads();
    }
    const int f = f0 + lane;
    if (f < F) {
#pragma unroll
        for (int u = 0; u < 4; ++u) {
#pragma unroll
            for (int v = 0; v < 8; ++v) {
                int i = i0 + ti + u, j = j0 + tj + v;
                if (i < I && j < J) {
                    cn4j_complex* o = O + ((long long)i * oI + (long long)j * oJ) * F + f;
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
//   out = (accumulate ? out : 0) + scale * tiles[plane, (r - shiftH) mod P, (c - shiftW) mod Q]
//         + bias[plane % channels]
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
