// dropout.cu: inverted dropout with the mask of org.convnet4j.backend.DropoutMask, bit for bit.
//
// Layout: flat float32 arrays of n elements (any shape); mask holds 0 or 1/(1-p) per element.
// Launch geometry: grid-stride, 256-thread blocks (common.cuh).
// Kernels:
//   dropout_forward_f32   mask[i] = uniform(seed, i) >= p ? scale : 0; y = x * mask; seed read from device memory
//                         (*seedp: a per-step scalar, so one captured CUDA graph serves every step).
//   dropout_backward_f32  dx = dy * mask.
#include "common.cuh"

// DropoutMask.uniform: splitmix64 of seed + (index+1) * 0x9E3779B97F4A7C15 (wrapping 64-bit arithmetic, as
// Java's long), its top 24 bits times 2^-24. Java's >>> is the unsigned shift of unsigned long long.
static __device__ float cn4j_dropout_uniform(unsigned long long seed, unsigned long long index) {
    unsigned long long z = seed + (index + 1ULL) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    return (float)(z >> 40) * 5.9604644775390625e-8f; // 2^-24; (z >> 40) < 2^24 converts exactly
}

// One thread per element: the mask value and the masked input; scale = 1/(1-p) computed by the caller in float,
// with the same expression as DropoutMask.value.
extern "C" __global__ void dropout_forward_f32(const float* x, float* mask, float* y, int n,
                                               const unsigned long long* seedp, float p, float scale) {
    unsigned long long seed = *seedp;
    GRID_STRIDE_LOOP(i, n) {
        float m = cn4j_dropout_uniform(seed, (unsigned long long)i) >= p ? scale : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

// One thread per element: dx = dy * mask.
extern "C" __global__ void dropout_backward_f32(const float* dy, const float* mask, float* dx, int n) {
    GRID_STRIDE_LOOP(i, n) {
        dx[i] = dy[i] * mask[i];
    }
}
