// im2col.cu: the column matrix of a convolution (im2col) and its adjoint (col2im), over a chunk of images.
//
// Layout: x is NCHW [B, C, H, W] (pointer at the chunk's first image). The column matrix of image b is
// col[b] = [C*FH*FW, OH*OW], row-major, rows ordered (c, kh, kw) and columns (oh, ow), images one after
// another: col element (b, r, p) is at (b*CK + r)*P + p with CK = C*FH*FW, P = OH*OW. Entry
//   col[b][(c*FH + kh)*FW + kw][oh*OW + ow] = x[b][c][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw]  (0 outside).
// Launch geometry: grid-stride, 256-thread blocks (common.cuh).
// Kernels:
//   im2col_f32   one thread per column element (B*CK*P of them): reads one input value or writes 0.
//                Consecutive threads write consecutive columns, so writes are coalesced.
//   col2im_f32   GATHER: one thread per input element (B*C*H*W): dx = the sum of the column entries that
//                im2col copied from that element, over (kh, kw) in order. No atomics, deterministic, and
//                dx is overwritten.
#include "common.cuh"

// One thread per column element (b, r, p): the input value it copies, or 0 in the padding.
extern "C" __global__ void im2col_f32(const float* x, float* col, int B, int C, int H, int W, int FH, int FW,
                                      int OH, int OW, int sh, int sw, int ph, int pw, int dh, int dw) {
    const int P = OH * OW;
    const int CK = C * FH * FW;
    const long long total = (long long)B * CK * P;
    GRID_STRIDE_LOOP(i, total) {
        int p = (int)(i % P);
        long long rest = i / P;
        int r = (int)(rest % CK);
        int b = (int)(rest / CK);
        int kw = r % FW;
        int kh = (r / FW) % FH;
        int c = r / (FW * FH);
        int oh = p / OW;
        int ow = p % OW;
        int h = oh * sh - ph + kh * dh;
        int w = ow * sw - pw + kw * dw;
        float v = 0.0f;
        if (h >= 0 && h < H && w >= 0 && w < W) {
            v = x[(((long long)b * C + c) * H + h) * W + w];
        }
        col[i] = v;
    }
}

// One thread per input element (b, c, h, w): dx = sum over (kh, kw) of the column entry that copied it,
// i.e. col[b][(c*FH + kh)*FW + kw][oh*OW + ow] where h = oh*sh - ph + kh*dh and w = ow*sw - pw + kw*dw.
extern "C" __global__ void col2im_f32(const float* col, float* dx, int B, int C, int H, int W, int FH, int FW,
                                      int OH, int OW, int sh, int sw, int ph, int pw, int dh, int dw) {
    const int P = OH * OW;
    const int CK = C * FH * FW;
    const long long total = (long long)B * C * H * W;
    GRID_STRIDE_LOOP(i, total) {
        int w = (int)(i % W);
        int h = (int)((i / W) % H);
        int c = (int)((i / ((long long)W * H)) % C);
        int b = (int)(i / ((long long)W * H * C));
        const float* colb = col + (long long)b * CK * P;
        float s = 0.0f;
        for (int kh = 0; kh < FH; ++kh) {
            int th = h + ph - kh * dh; // = oh * sh
            if (th < 0 || th % sh != 0) {
                continue;
            }
            int oh = th / sh;
            if (oh >= OH) {
                continue;
            }
            for (int kw = 0; kw < FW; ++kw) {
                int tw = w + pw - kw * dw; // = ow * sw
                if (tw < 0 || tw % sw != 0) {
                    continue;
                }
                int ow = tw / sw;
                if (ow >= OW) {
                    continue;
                }
                int r = (c * FH + kh) * FW + kw;
                s += colb[(long long)r * P + oh * OW + ow];
            }
        }
        dx[i] = s;
    }
}
