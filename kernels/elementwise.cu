// elementwise.cu: fill, and the sum of the K-slice partial products of convolution's filter gradient.
//
// Layout: flat float32 arrays (any tensor, NCHW or not).
// Launch geometry: grid-stride, 256-thread blocks, grid ceil(n/256) capped (common.cuh).
// Kernels:
//   fill_f32                     x[i] = value (NaN too: tests poison outputs with it).
//   sum_batches_accumulate_f32   out[i] += sum over b in order of parts[b*len + i]: the partial filter
//                                gradients of the K slices (where the GEMM provider does not split K itself)
//                                summed deterministically (fixed order, no atomics).
#include "common.cuh"

// One thread per element: x[i] = value.
extern "C" __global__ void fill_f32(float* x, int n, float value) {
    GRID_STRIDE_LOOP(i, n) {
        x[i] = value;
    }
}

// One thread per output element i: out[i] += parts[0*len+i] + parts[1*len+i] + ... in batch order.
extern "C" __global__ void sum_batches_accumulate_f32(const float* parts, float* out, int batch, int len) {
    GRID_STRIDE_LOOP(i, len) {
        float s = 0.0f;
        for (int b = 0; b < batch; ++b) {
            s += parts[(long long)b * len + i];
        }
        out[i] += s;
    }
}
