// convolution.cu: a convolution's kernels besides its GEMM (dense.cu): im2col and its adjoint col2im, the
// copies between NCHW and the GEMM's channel-major layout, and the sum of the filter gradient's K slices.
//
// Layout: x, dx NCHW [B, C, H, W] (pointer at the chunk's first image); P = OH*OW. The column matrix of a
// chunk is col = [C*FH*FW, B*P] row-major, rows ordered (c, kh, kw), columns (b, oh, ow), so that ONE GEMM
// covers the chunk: W [FN, CK] * col gives its output channel-major, cnhw [F, B, P], the layout dy must also
// have for the chunk's filter-gradient GEMM. Entry
//   col[(c*FH + kh)*FW + kw][b*P + oh*OW + ow] = x[b][c][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw]  (0 outside).
// Launch geometry: grid-stride, 256-thread blocks (common.cuh), one thread per item named below. Index math:
// one 64-bit division finds the plane, the rest is 32-bit; no thread divides inside its (kh, kw) loop
// (col2im does for dilated convolutions only).
// Kernels:
//   im2col_f32                   per (b, c, oh, ow): its FH*FW column entries in the rows of channel c.
//   col2im_f32                   GATHER per input element: dx = sum of the entries copied from it (overwrites dx).
//   cnhw_to_nchw_f32             per element: nchw[b][f][p] = cnhw[f][b][p] + bias[f] (bias may be null).
//   nchw_to_cnhw_f32             per element: cnhw[f][b][p] = nchw[b][f][p].
//   sum_batches_accumulate_f32   per element: out[i] += sum over b, in order, of parts[b*len + i].
#include "common.cuh"

// One thread per (b, c, oh, ow): column b*P + oh*OW + ow of rows (c, kh, kw), every (kh, kw) in order, 0 in
// the padding. For a fixed (kh, kw), consecutive threads write consecutive columns: coalesced writes.
extern "C" __global__ void im2col_f32(const float* x, float* col, int B, int C, int H, int W, int FH, int FW,
                                      int OH, int OW, int sh, int sw, int ph, int pw, int dh, int dw) {
    const int P = OH * OW;
    const long long rowLength = (long long)B * P;
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
                                      int OH, int OW, int sh, int sw, int ph, int pw, int dh, int dw) {
    const int P = OH * OW;
    const int HW = H * W;
    const long long rowLength = (long long)B * P;
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

// One thread per output element (b, f, p), in the order of the written array: consecutive threads touch
// consecutive p on both sides, so reads and writes are coalesced (nchw_to_cnhw_f32 too). The convolution's bias
// add rides along with the copy.
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
