// activation.cu: ReLU, sigmoid and tanh, forward and backward.
//
// Layout: flat float32 arrays of n elements (any shape). y may alias x, dx may alias dy.
// Launch geometry: grid-stride, 256-thread blocks, grid ceil(n/256) capped (common.cuh).
// Kernels (the backward ones read the forward output y, not x):
//   relu_forward_f32       y = x < 0 ? 0 : x; NaN stays NaN (PyTorch's rule, shared with CpuBackend).
//   relu_backward_f32      dx = y > 0 ? dy : 0.
//   sigmoid_forward_f32    y = 1 / (1 + exp(-x)).
//   sigmoid_backward_f32   dx = dy * y * (1 - y).
//   tanh_forward_f32       y = tanh(x).
//   tanh_backward_f32      dx = dy * (1 - y^2).
#include "common.cuh"

// One thread per element: y = x < 0 ? 0 : x, so NaN stays NaN (NaN < 0 is false): PyTorch's rule, and
// CpuBackend's.
extern "C" __global__ void relu_forward_f32(const float* x, float* y, int n) {
    GRID_STRIDE_LOOP(i, n) {
        float v = x[i];
        y[i] = v < 0.0f ? 0.0f : v;
    }
}

// One thread per element: dx = y > 0 ? dy : 0 (0 where y is NaN).
extern "C" __global__ void relu_backward_f32(const float* y, const float* dy, float* dx, int n) {
    GRID_STRIDE_LOOP(i, n) {
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
}

// One thread per element: y = 1 / (1 + exp(-x)).
extern "C" __global__ void sigmoid_forward_f32(const float* x, float* y, int n) {
    GRID_STRIDE_LOOP(i, n) {
        y[i] = 1.0f / (1.0f + expf(-x[i]));
    }
}

// One thread per element: dx = dy * y * (1 - y).
extern "C" __global__ void sigmoid_backward_f32(const float* y, const float* dy, float* dx, int n) {
    GRID_STRIDE_LOOP(i, n) {
        float s = y[i];
        dx[i] = dy[i] * s * (1.0f - s);
    }
}

// One thread per element: y = tanh(x).
extern "C" __global__ void tanh_forward_f32(const float* x, float* y, int n) {
    GRID_STRIDE_LOOP(i, n) {
        y[i] = tanhf(x[i]);
    }
}

// One thread per element: dx = dy * (1 - y^2).
extern "C" __global__ void tanh_backward_f32(const float* y, const float* dy, float* dx, int n) {
    GRID_STRIDE_LOOP(i, n) {
        float t = y[i];
        dx[i] = dy[i] * (1.0f - t * t);
    }
}
