// optimizers.cu: optimizer updates, in place, one element per thread.
//
// Layout: param, grad and the optimizer state (velocity, sums of squares, m, v) are flat float32 arrays of
// n elements, all the same size.
// Launch geometry: grid-stride, 256-thread blocks (common.cuh).
// Kernels (each first forms g = grad + weightDecay * param):
//   sgd_update_f32        param -= lr * g
//   momentum_update_f32   v = momentum * v + g; param -= lr * v, or with nesterov param -= lr * (g + momentum * v)
//   adagrad_update_f32    sum += g^2; param -= lr * g / (sqrt(sum) + eps)
//   rmsprop_update_f32    ms = decay * ms + (1 - decay) * g^2; param -= lr * g / (sqrt(ms) + eps)
//   adam_update_f32       m = beta1 m + (1-beta1) g; v = beta2 v + (1-beta2) g^2; param -= lr (m/c1)/(sqrt(v/c2) + eps)
#include "common.cuh"

// One thread per element: plain SGD.
extern "C" __global__ void sgd_update_f32(float* param, const float* grad, int n, float lr, float weightDecay) {
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        param[i] -= lr * g;
    }
}

// One thread per element: heavy-ball or Nesterov momentum (PyTorch's formulation).
extern "C" __global__ void momentum_update_f32(float* param, const float* grad, float* velocity, int n, float lr,
                                               float momentum, float weightDecay, int nesterov) {
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float v = momentum * velocity[i] + g;
        velocity[i] = v;
        param[i] -= lr * (nesterov ? g + momentum * v : v);
    }
}

// One thread per element: AdaGrad.
extern "C" __global__ void adagrad_update_f32(float* param, const float* grad, float* sumSquares, int n, float lr,
                                              float eps, float weightDecay) {
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float s = sumSquares[i] + g * g;
        sumSquares[i] = s;
        param[i] -= lr * g / (sqrtf(s) + eps);
    }
}

// One thread per element: RMSProp.
extern "C" __global__ void rmsprop_update_f32(float* param, const float* grad, float* meanSquare, int n, float lr,
                                              float decay, float eps, float weightDecay) {
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float ms = decay * meanSquare[i] + (1.0f - decay) * g * g;
        meanSquare[i] = ms;
        param[i] -= lr * g / (sqrtf(ms) + eps);
    }
}

// One thread per element: Adam with bias correction, c1 = 1 - beta1^step and c2 = 1 - beta2^step computed by
// the caller.
extern "C" __global__ void adam_update_f32(float* param, const float* grad, float* m, float* v, int n, float lr,
                                           float beta1, float beta2, float eps, float weightDecay,
                                           float correction1, float correction2) {
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] -= lr * (mi / correction1) / (sqrtf(vi / correction2) + eps);
    }
}
