// lrn.cu: local response normalization across channels (AlexNet), forward and backward.
//
// Layout: x, scale, y, dy, dx [N, C, S] with S = H*W (NCHW), all the same shape.
// Window of channel c: c' in [c - (size-1)/2, c + size/2], clipped to [0, C-1] (the LrnSpec convention).
// Launch geometry: grid-stride over the N*C*S elements, 256-thread blocks (common.cuh).
// Kernels:
//   lrn_forward_f32    scale = k + (alpha/size) * sum over the window of x^2;  y = x * scale^(-beta).
//   lrn_backward_f32   dx_j = dy_j * scale_j^(-beta)
//                             - (2*alpha*beta/size) * x_j * sum over i whose window holds j of dy_i * y_i / scale_i,
//                      where the windows holding j are i in [j - size/2, j + (size-1)/2]. The sum runs in
//                      channel order: deterministic.
#include "common.cuh"

// One thread per element (n, c, s): its scale and normalized output.
extern "C" __global__ void lrn_forward_f32(const float* x, float* scale, float* y, int N, int C, int S, int size,
                                           float alpha, float beta, float k) {
    const long long total = (long long)N * C * S;
    GRID_STRIDE_LOOP(i, total) {
        int s = (int)(i % S);
        int c = (int)((i / S) % C);
        long long n = i / ((long long)S * C);
        const float* xn = x + n * C * S + s;
        int lo = c - (size - 1) / 2;
        int hi = c + size / 2;
        lo = lo < 0 ? 0 : lo;
        hi = hi > C - 1 ? C - 1 : hi;
        float sum = 0.0f;
        for (int j = lo; j <= hi; ++j) {
            float v = xn[(long long)j * S];
            sum += v * v;
        }
        float sc = k + alpha / (float)size * sum;
        scale[i] = sc;
        y[i] = x[i] * powf(sc, -beta);
    }
}

// One thread per element (n, c, s): the gradient of every y in whose window it lies.
extern "C" __global__ void lrn_backward_f32(const float* x, const float* y, const float* scale, const float* dy,
                                            float* dx, int N, int C, int S, int size, float alpha, float beta) {
    const long long total = (long long)N * C * S;
    const float factor = 2.0f * alpha * beta / (float)size;
    GRID_STRIDE_LOOP(i, total) {
        int s = (int)(i % S);
        int c = (int)((i / S) % C);
        long long base = (i / ((long long)S * C)) * C * S + s;
        int lo = c - size / 2;
        int hi = c + (size - 1) / 2;
        lo = lo < 0 ? 0 : lo;
        hi = hi > C - 1 ? C - 1 : hi;
        float sum = 0.0f;
        for (int j = lo; j <= hi; ++j) {
            long long at = base + (long long)j * S;
            sum += dy[at] * y[at] / scale[at];
        }
        dx[i] = dy[i] * powf(scale[i], -beta) - factor * x[i] * sum;
    }
}
