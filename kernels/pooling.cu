// pooling.cu: max and average pooling over each channel plane, forward and backward.
//
// Layout: x and dx NCHW [N, C, H, W]; y, dy and switches NCHW [N, C, OH, OW] (switches int32).
// Window of output (oh, ow): rows oh*sh - ph .. + kh - 1, columns ow*sw - pw .. + kw - 1 of the plane.
// Launch geometry: grid-stride, 256-thread blocks (common.cuh); forward kernels one thread per output,
// backward kernels one thread per input element. Index math: one 64-bit division finds the plane (n, c),
// the rest is 32-bit (a plane has fewer than 2^31 elements), and a backward thread finds the windows that
// hold it with one division per axis; max-pool backward loads its candidates unrolled where there are at most
// 2 per axis.
// NaN (PyTorch's rule, shared with CpuBackend): a window holding a NaN has max NaN, its switch at the first NaN.
// Kernels:
//   maxpool_forward_f32    y = the window's maximum over real positions, switch = its position h*W + w.
//   maxpool_backward_f32   GATHER: dx[h,w] = sum of dy over the windows whose switch is h*W + w (overwrites dx).
//   avgpool_forward_f32    y = the window's sum over real positions / (kh*kw): padding counts as zeros.
//   avgpool_backward_f32   GATHER: dx[h,w] = sum over windows containing (h,w) of dy / (kh*kw).
//   global_avgpool_forward_f32    y[plane] = the plane's float sum in row-major order / (H*W), one thread per plane.
//   global_avgpool_backward_f32   dx[plane, j] = dy[plane] / (H*W), one thread per element of dx.
#include "common.cuh"

// The outputs along one axis whose windows contain input position pos: [*first, *last], empty when first > last.
// One division: the last window starting at or before pos, then a walk back over the (at most ceil(k/stride))
// earlier windows that still reach pos.
static __device__ void cn4j_pool_range(int pos, int pad, int k, int stride, int outSize, int* first, int* last) {
    // window o covers o*stride - pad .. o*stride - pad + k - 1
    int hi = (pos + pad) / stride;
    if (hi > outSize - 1) {
        hi = outSize - 1;
    }
    int lo = hi + 1;
    while (lo > 0 && (lo - 1) * stride - pad + k > pos) {
        --lo;
    }
    *first = lo;
    *last = hi;
}

// One thread per output (n, c, oh, ow): the window maximum and its position h*W + w, scanning the window's real
// (non-padded) positions in row-major order: the first maximum wins (strict >), and the first NaN wins over
// any number (v != v is true for NaN only): NaN propagates, as in PyTorch and CpuBackend.maxPoolForward.
extern "C" __global__ void maxpool_forward_f32(const float* x, float* y, int* switches, int N, int C, int H, int W,
                                               int OH, int OW, int kh, int kw, int sh, int sw, int ph, int pw) {
    const long long total = (long long)N * C * OH * OW;
    const int outPlane = OH * OW;
    GRID_STRIDE_LOOP(i, total) {
        long long plane = i / outPlane; // n*C + c
        int r = (int)(i - plane * outPlane);
        int oh = r / OW;
        int ow = r - oh * OW;
        const float* xp = x + plane * H * W;
        int h0 = oh * sh - ph;
        int w0 = ow * sw - pw;
        float best = 0.0f;
        int where = -1;
        for (int a = 0; a < kh; ++a) {
            int h = h0 + a;
            if (h < 0 || h >= H) {
                continue;
            }
            for (int b = 0; b < kw; ++b) {
                int w = w0 + b;
                if (w < 0 || w >= W) {
                    continue;
                }
                float v = xp[h * W + w];
                if (where < 0 || v > best || (v != v && best == best)) {
                    best = v;
                    where = h * W + w;
                }
            }
        }
        y[i] = best;          // every window holds a real position (pad < window), so where >= 0
        switches[i] = where;
    }
}

// The candidate windows per axis that the unrolled path of maxpool_backward_f32 loads at once: enough for any
// window of at most twice its stride (AlexNet's 3x3/2, VGG's 2x2/2).
#define CN4J_POOL_CANDIDATES 2

// One thread per input element (n, c, h, w): the sum of dy over outputs whose switch points at it. Overlapping
// windows (AlexNet 3x3/2) are summed in a fixed order, row-major over the candidate windows: deterministic, no
// atomics. When each axis has at most CN4J_POOL_CANDIDATES candidate windows (kh <= 2*sh and kw <= 2*sw), the
// up to 4 switches and 4 dy values are loaded unconditionally by constant-trip loops (unrolled by nvcc):
// independent loads, in flight together, summed afterwards in the general loop's order: the same bits.
extern "C" __global__ void maxpool_backward_f32(const float* dy, const int* switches, float* dx, int N, int C,
                                                int H, int W, int OH, int OW, int kh, int kw, int sh, int sw,
                                                int ph, int pw) {
    const long long total = (long long)N * C * H * W;
    const int inPlane = H * W;
    const bool unrolled = kh <= CN4J_POOL_CANDIDATES * sh && kw <= CN4J_POOL_CANDIDATES * sw;
    GRID_STRIDE_LOOP(i, total) {
        long long plane = i / inPlane; // n*C + c
        int r = (int)(i - plane * inPlane);
        int h = r / W;
        int w = r - h * W;
        const float* dyp = dy + plane * OH * OW;
        const int* sp = switches + plane * OH * OW;
        int me = h * W + w;
        int oh0, oh1, ow0, ow1;
        cn4j_pool_range(h, ph, kh, sh, OH, &oh0, &oh1);
        cn4j_pool_range(w, pw, kw, sw, OW, &ow0, &ow1);
        float s = 0.0f;
        if (unrolled) {
            int sws[CN4J_POOL_CANDIDATES * CN4J_POOL_CANDIDATES];
            float ds[CN4J_POOL_CANDIDATES * CN4J_POOL_CANDIDATES];
            for (int a = 0; a < CN4J_POOL_CANDIDATES; ++a) {
                for (int b = 0; b < CN4J_POOL_CANDIDATES; ++b) {
                    int o = (oh0 + a) * OW + ow0 + b;
                    bool real = oh0 + a <= oh1 && ow0 + b <= ow1;
                    sws[a * CN4J_POOL_CANDIDATES + b] = real ? sp[o] : -1;
                    ds[a * CN4J_POOL_CANDIDATES + b] = real ? dyp[o] : 0.0f;
                }
            }
            for (int q = 0; q < CN4J_POOL_CANDIDATES * CN4J_POOL_CANDIDATES; ++q) {
                if (sws[q] == me) {
                    s += ds[q];
                }
            }
        } else {
            for (int oh = oh0; oh <= oh1; ++oh) {
                for (int ow = ow0; ow <= ow1; ++ow) {
                    int o = oh * OW + ow;
                    if (sp[o] == me) {
                        s += dyp[o];
                    }
                }
            }
        }
        dx[i] = s;
    }
}

// One thread per output (n, c, oh, ow): the sum of the window's real elements / (kh*kw).
extern "C" __global__ void avgpool_forward_f32(const float* x, float* y, int N, int C, int H, int W, int OH, int OW,
                                               int kh, int kw, int sh, int sw, int ph, int pw) {
    const long long total = (long long)N * C * OH * OW;
    const int outPlane = OH * OW;
    const float inv = 1.0f / (float)(kh * kw);
    GRID_STRIDE_LOOP(i, total) {
        long long plane = i / outPlane; // n*C + c
        int r = (int)(i - plane * outPlane);
        int oh = r / OW;
        int ow = r - oh * OW;
        const float* xp = x + plane * H * W;
        int h0 = oh * sh - ph;
        int w0 = ow * sw - pw;
        float s = 0.0f;
        for (int a = 0; a < kh; ++a) {
            int h = h0 + a;
            if (h < 0 || h >= H) {
                continue;
            }
            for (int b = 0; b < kw; ++b) {
                int w = w0 + b;
                if (w >= 0 && w < W) {
                    s += xp[h * W + w];
                }
            }
        }
        y[i] = s * inv;
    }
}

// One thread per input element (n, c, h, w): the sum of dy / (kh*kw) over the windows that contain it.
extern "C" __global__ void avgpool_backward_f32(const float* dy, float* dx, int N, int C, int H, int W, int OH,
                                                int OW, int kh, int kw, int sh, int sw, int ph, int pw) {
    const long long total = (long long)N * C * H * W;
    const int inPlane = H * W;
    const float inv = 1.0f / (float)(kh * kw);
    GRID_STRIDE_LOOP(i, total) {
        long long plane = i / inPlane; // n*C + c
        int r = (int)(i - plane * inPlane);
        int h = r / W;
        int w = r - h * W;
        const float* dyp = dy + plane * OH * OW;
        int oh0, oh1, ow0, ow1;
        cn4j_pool_range(h, ph, kh, sh, OH, &oh0, &oh1);
        cn4j_pool_range(w, pw, kw, sw, OW, &ow0, &ow1);
        float s = 0.0f;
        for (int oh = oh0; oh <= oh1; ++oh) {
            for (int ow = ow0; ow <= ow1; ++ow) {
                s += dyp[oh * OW + ow];
            }
        }
        dx[i] = s * inv;
    }
}

// One thread per plane (n, c) of x [N, C, H, W]: y [N, C, 1, 1] = the sum of its inner = H*W values in row-major
// order (the CPU backend's order, so both give the same float) divided by inner. planes = N*C.
extern "C" __global__ void global_avgpool_forward_f32(const float* x, float* y, int planes, int inner) {
    GRID_STRIDE_LOOP(p, planes) {
        const float* xp = x + p * inner;
        float s = 0.0f;
        for (int j = 0; j < inner; ++j) {
            s += xp[j];
        }
        y[p] = s / (float)inner;
    }
}

// One thread per element of dx [N, C, H, W]: dx = dy[its plane] / inner.
extern "C" __global__ void global_avgpool_backward_f32(const float* dy, float* dx, int planes, int inner) {
    const long long total = (long long)planes * inner;
    GRID_STRIDE_LOOP(i, total) {
        dx[i] = dy[i / inner] / (float)inner;
    }
}
