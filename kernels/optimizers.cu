// optimizers.cu: optimizer updates, in place, one element per thread.
//
// Layout: param, grad and the optimizer state (velocity, sums of squares, m, v) are flat float32 arrays of
// n elements, all the same size.
// Per-step scalars: the learning rate lr (and Adam's step count) are read from device memory (*lrp, *stepp), so
// one captured CUDA graph serves every step while the host changes them between replays.
// Launch geometry: grid-stride, 256-thread blocks (common.cuh).
// Kernels (each first forms g = grad + weightDecay * param):
//   sgd_update_f32        param -= lr * g
//   momentum_update_f32   v = momentum * v + g; param -= lr * v, or with nesterov param -= lr * (g + momentum * v)
//   adagrad_update_f32    sum += g^2; param -= lr * g / (sqrt(sum) + eps)
//   rmsprop_update_f32    ms = decay * ms + (1 - decay) * g^2; param -= lr * g / (sqrt(ms) + eps)
//   adam_update_f32       m = beta1 m + (1-beta1) g; v = beta2 v + (1-beta2) g^2; param -= lr (m/c1)/(sqrt(v/c2) + eps),
//                         c1 = 1 - beta1^step, c2 = 1 - beta2^step in double, rounded to float (as the CPU)
#include "common.cuh"

// One thread per element: plain SGD.
extern "C" __global__ void sgd_update_f32(float* param, const float* grad, int n, const float* lrp, float weightDecay) {
    float lr = *lrp;
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        param[i] -= lr * g;
    }
}

// One thread per element: heavy-ball or Nesterov momentum (PyTorch's formulation).
extern "C" __global__ void momentum_update_f32(float* param, const float* grad, float* velocity, int n,
                                               const float* lrp, float momentum, float weightDecay, int nesterov) {
    float lr = *lrp;
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float v = momentum * velocity[i] + g;
        velocity[i] = v;
        param[i] -= lr * (nesterov ? g + momentum * v : v);
    }
}

// One thread per element: AdaGrad.
extern "C" __global__ void adagrad_update_f32(float* param, const float* grad, float* sumSquares, int n,
                                              const float* lrp, float eps, float weightDecay) {
    float lr = *lrp;
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float s = sumSquares[i] + g * g;
        sumSquares[i] = s;
        param[i] -= lr * g / (sqrtf(s) + eps);
    }
}

// One thread per element: RMSProp.
extern "C" __global__ void rmsprop_update_f32(float* param, const float* grad, float* meanSquare, int n,
                                              const float* lrp, float decay, float eps, float weightDecay) {
    float lr = *lrp;
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float ms = decay * meanSquare[i] + (1.0f - decay) * g * g;
        meanSquare[i] = ms;
        param[i] -= lr * g / (sqrtf(ms) + eps);
    }
}

// Adam's bias correction 1 - beta^step: in double, rounded to float once, as CpuOptimizers computes it.
static __device__ float cn4j_adam_correction(float beta, int step) {
    return (float)(1.0 - pow((double)beta, (double)step));
}

// One thread per element: Adam with bias correction; every thread forms the same corrections from *stepp.
extern "C" __global__ void adam_update_f32(float* param, const float* grad, float* m, float* v, int n,
                                           const float* lrp, const int* stepp, float beta1, float beta2, float eps,
                                           float weightDecay) {
    float lr = *lrp;
    float correction1 = cn4j_adam_correction(beta1, *stepp);
    float correction2 = cn4j_adam_correction(beta2, *stepp);
    GRID_STRIDE_LOOP(i, n) {
        float g = grad[i] + weightDecay * param[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] -= lr * (mi / correction1) / (sqrtf(vi / correction2) + eps);
    }
}
