// convolution.cu: a convolution's kernels besides its GEMM (dense.cu): im2col and its adjoint col2im, the
// copies between NCHW and the GEMM's channel-major layout, and the sum of the filter gradient's K slices.
//
// Layout: x, dx NCHW [B, C, H, W] (pointer at the chunk's first image); P = OH*OW. The column matrix of a
// chunk is col = [C*FH*FW, B*P] row-major with row stride ld >= B*P (the host pads it to a multiple of 32
// floats, so rows start 128-byte aligned), rows ordered (c, kh, kw), columns (b, oh, ow), so that ONE GEMM
// covers the chunk: W [FN, CK] * col gives its output channel-major, cnhw [F, B, P] (row stride ld too), the
// layout dy must also have for the chunk's filter-gradient GEMM. Entry
//   col[(c*FH + kh)*FW + kw][b*P + oh*OW + ow] = x[b][c][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw]  (0 outside).
// Columns B*P .. ld-1 of a row are never written nor read.
// Launch geometry: im2col, col2im and sum_batches_accumulate are grid-stride with 256-thread blocks
// (common.cuh), one thread per item named below; one 64-bit division finds the plane, the rest is 32-bit,
// and no thread divides inside its (kh, kw) loop (col2im does for dilated convolutions only). The layout
// copies run on a 2-D grid: blockIdx.y walks the planes of the array they write (one 32-bit division per
// plane), x the P positions in it: no division per element. The bias gradient's first stage runs one
// 256-thread block per (K slice, channel): grid (slices, F).
// Kernels:
//   im2col_f32                   per (b, c, oh, ow): its FH*FW column entries in the rows of channel c.
//   col2im_f32                   GATHER per input element: dx = sum of the entries copied from it (overwrites dx).
//   cnhw_to_nchw_f32             per element: nchw[b][f][p] = cnhw[f][b*P + p] + bias[f] (bias may be null).
//   nchw_to_cnhw_f32             per element: cnhw[f][b*P + p] = nchw[b][f][p].
//   row_sum_slices_f32           per (slice j, row f): parts[j*F + f] = sum of m[f][j*L .. (j+1)*L - 1], a tree.
//   sum_batches_accumulate_f32   per element: out[i] += sum over b, in order, of parts[b*len + i].
#include "common.cuh"

// One thread per (b, c, oh, ow): column b*P + oh*OW + ow of rows (c, kh, kw), every (kh, kw) in order, 0 in
// the padding. For a fixed (kh, kw), consecutive threads write consecutive columns: coalesced writes.
extern "C" __global__ void im2col_f32(const float* x, float* col, int B, int C, int H, int W, int FH, int FW,
                                      int OH, int OW, int sh, int sw, int ph, int pw, int dh, int dw, int ld) {
    const int P = OH * OW;
    const long long rowLength = ld;
    const long long total = (long long)B * C * P;
    GRID_STRIDE_LOOP(i, total) {
        long long plane = i / P; // b*C + c
        int p = (int)(i - plane * P);
        int b = (int)(plane / C);
        int c = (int)(plane - (long long)b * C);
        int oh = p / OW;
        int ow = p - oh * OW;
        const float* src = x + plane * H * W;
        float* dst = col + (long long)c * FH * FW * rowLength + (long long)b * P + p; // row (c, 0, 0)
        int h0 = oh * sh - ph;
        int w0 = ow * sw - pw;
        for (int kh = 0; kh < FH; ++kh) {
            int h = h0 + kh * dh;
            bool rowInside = h >= 0 && h < H;
            for (int kw = 0; kw < FW; ++kw) {
                int w = w0 + kw * dw;
                *dst = rowInside && w >= 0 && w < W ? src[h * W + w] : 0.0f;
                dst += rowLength;
            }
        }
    }
}

// The outputs o along one axis whose window tap lands on input position pos: o*stride = pos + pad - k*dil
// for some tap 0 <= k < K, so o*stride in [pos + pad - (K-1)*dil, pos + pad]; *first > *last when none.
static __device__ void cn4j_col_range(int pos, int pad, int K, int stride, int dil, int outSize, int* first,
                                      int* last) {
    int hi = (pos + pad) / stride;
    if (hi > outSize - 1) {
        hi = outSize - 1;
    }
    int t = pos + pad - (K - 1) * dil;
    *first = t <= 0 ? 0 : (t + stride - 1) / stride;
    *last = hi;
}

// One thread per input element (b, c, h, w): dx = sum over (kh, kw), in order, of the column entry that
// copied it, col[(c*FH + kh)*FW + kw][b*P + oh*OW + ow] where h = oh*sh - ph + kh*dh and
// w = ow*sw - pw + kw*dw. Walking oh (and ow) downwards walks kh (and kw) upwards. No atomics, so
// deterministic; dx is overwritten.
extern "C" __global__ void col2im_f32(const float* col, float* dx, int B, int C, int H, int W, int FH, int FW,
                                      int OH, int OW, int sh, int sw, int ph, int pw, int dh, int dw, int ld) {
    const int P = OH * OW;
    const int HW = H * W;
    const long long rowLength = ld;
    const long long total = (long long)B * C * HW;
    GRID_STRIDE_LOOP(i, total) {
        long long plane = i / HW; // b*C + c
        int r = (int)(i - plane * HW);
        int b = (int)(plane / C);
        int c = (int)(plane - (long long)b * C);
        int h = r / W;
        int w = r - h * W;
        const float* colc = col + (long long)c * FH * FW * rowLength + (long long)b * P; // rows (c, ., .)
        int oh0, oh1, ow0, ow1;
        cn4j_col_range(h, ph, FH, sh, dh, OH, &oh0, &oh1);
        cn4j_col_range(w, pw, FW, sw, dw, OW, &ow0, &ow1);
        float s = 0.0f;
        for (int oh = oh1; oh >= oh0; --oh) {
            int th = h + ph - oh * sh; // = kh * dh
            if (dh > 1 && th % dh != 0) {
                continue;
            }
            int kh = dh == 1 ? th : th / dh;
            for (int ow = ow1; ow >= ow0; --ow) {
                int tw = w + pw - ow * sw; // = kw * dw
                if (dw > 1 && tw % dw != 0) {
                    continue;
                }
                int kw = dw == 1 ? tw : tw / dw;
                s += colc[(kh * FW + kw) * rowLength + oh * OW + ow];
            }
        }
        dx[i] = s;
    }
}

// Block row blockIdx.y (and every gridDim.y-th after it) per output plane (b, f); threads along p. Consecutive
// threads touch consecutive p on both sides, so reads and writes are coalesced (nchw_to_cnhw_f32 too). The
// convolution's bias add rides along with the copy.
extern "C" __global__ void cnhw_to_nchw_f32(const float* cnhw, const float* bias, float* nchw, int B, int F, int P,
                                            int ld) {
    for (int plane = blockIdx.y; plane < B * F; plane += gridDim.y) { // plane = b*F + f
        int b = plane / F;
        int f = plane - b * F;
        const float* src = cnhw + (long long)f * ld + (long long)b * P;
        float* dst = nchw + (long long)plane * P;
        float add = bias ? bias[f] : 0.0f;
        for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < P; p += gridDim.x * blockDim.x) {
            dst[p] = bias ? src[p] + add : src[p];
        }
    }
}

// Block row blockIdx.y (and every gridDim.y-th after it) per output plane (f, b); threads along p.
extern "C" __global__ void nchw_to_cnhw_f32(const float* nchw, float* cnhw, int B, int F, int P, int ld) {
    for (int plane = blockIdx.y; plane < B * F; plane += gridDim.y) { // plane = f*B + b
        int f = plane / B;
        int b = plane - f * B;
        const float* src = nchw + ((long long)b * F + f) * P;
        float* dst = cnhw + (long long)f * ld + (long long)b * P;
        for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < P; p += gridDim.x * blockDim.x) {
            dst[p] = src[p];
        }
    }
}

// First stage of the bias gradient: block (j, f) sums row f of m [F, cols] (row stride ld) over the columns
// [j*L, min((j+1)*L, cols)): thread t takes columns j*L + t, + 256, ... in order, then a fixed shared-memory tree;
// parts[j*F + f] = the slice's sum. Rows beyond gridDim.y are taken by block row f mod gridDim.y in turn. The
// second stage is sum_batches_accumulate_f32(parts, dbias, slices, F). Fixed slices, fixed orders, no atomics:
// deterministic. 256-thread blocks.
extern "C" __global__ void row_sum_slices_f32(const float* m, float* parts, int F, int cols, int ld, int L) {
    __shared__ float partial[CN4J_BLOCK];
    const int j = blockIdx.x;
    const int end = j * L + L < cols ? j * L + L : cols;
    for (int f = blockIdx.y; f < F; f += gridDim.y) { // the same trip count for every thread of the block
        const float* row = m + (long long)f * ld;
        float mine = 0.0f;
        for (int col = j * L + (int)threadIdx.x; col < end; col += CN4J_BLOCK) {
            mine += row[col];
        }
        float total = cn4j_block_sum(mine, partial);
        if (threadIdx.x == 0) {
            parts[(long long)j * F + f] = total;
        }
    }
}

// One thread per output element i: out[i] += parts[0*len+i] + parts[1*len+i] + ... in batch order. The partial
// filter gradients of the K slices (where the GEMM provider does not split K itself) summed in a fixed order,
// no atomics: deterministic.
extern "C" __global__ void sum_batches_accumulate_f32(const float* parts, float* out, int batch, int len) {
    GRID_STRIDE_LOOP(i, len) {
        float s = 0.0f;
        for (int b = 0; b < batch; ++b) {
            s += parts[(long long)b * len + i];
        }
        out[i] += s;
    }
}
