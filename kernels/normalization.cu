// normalization.cu: batch normalization (per channel) and local response normalization (across channels,
// AlexNet), forward and backward.
//
// Layout: x, y, dy, dx (and LRN's scale) [N, C, S] with S = H*W (NCHW) or S = 1 ([N, C]); batch norm's gamma,
// beta, running and saved statistics, dgamma, dbeta [C]. Channel c's m = N*S values are at (n*C + c)*S + s.
// LRN's window of channel c: c' in [c - (size-1)/2, c + size/2], clipped to [0, C-1] (the LrnSpec convention).
// Launch geometry:
//   batchnorm_forward_training_f32, batchnorm_backward_f32: one block of 256 threads per channel
//     (gridDim.x = C); each thread sums a fixed strided subset of the channel in order, then a fixed
//     shared-memory tree (cn4j_block_sum): deterministic, no atomics. The same block then writes the channel's
//     outputs, so no workspace is needed.
//   batchnorm_forward_inference_f32, lrn_*: grid-stride over the N*C*S elements, 256-thread blocks (common.cuh).
// Kernels:
//   batchnorm_forward_training_f32    y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch statistics.
//   batchnorm_forward_inference_f32   the same with the running statistics.
//   batchnorm_backward_f32            dx, and dgamma, dbeta accumulated.
//   lrn_forward_f32                   scale = k + (alpha/size) * sum over the window of x^2;  y = x * scale^(-beta).
//   lrn_backward_f32                  dx from dy, x, y and scale (formula over the kernel).
#include "common.cuh"

// One block per channel: batch statistics, running statistics, and the normalized output of the channel.
// mean = sum x / m, var = sum (x - mean)^2 / m (two passes), invStd = 1/sqrt(var + eps),
// y = gamma * (x - mean) * invStd + beta; saveMean = mean, saveInvStd = invStd;
// running = (1 - momentum) * running + momentum * batch statistic, the variance unbiased (var * m/(m-1), var
// itself when m == 1).
extern "C" __global__ void batchnorm_forward_training_f32(const float* x, const float* gamma, const float* beta,
                                                          float* y, float* runningMean, float* runningVar,
                                                          float* saveMean, float* saveInvStd, int N, int C, int S,
                                                          float momentum, float eps) {
    __shared__ float partial[CN4J_BLOCK];
    const int c = blockIdx.x;
    const long long m = (long long)N * S;
    float sum = 0.0f;
    for (long long j = threadIdx.x; j < m; j += blockDim.x) {
        sum += x[((j / S) * C + c) * S + j % S];
    }
    const float mean = cn4j_block_sum(sum, partial) / (float)m;
    float sq = 0.0f;
    for (long long j = threadIdx.x; j < m; j += blockDim.x) {
        float d = x[((j / S) * C + c) * S + j % S] - mean;
        sq += d * d;
    }
    const float var = cn4j_block_sum(sq, partial) / (float)m;
    const float invStd = 1.0f / sqrtf(var + eps);
    if (threadIdx.x == 0) {
        saveMean[c] = mean;
        saveInvStd[c] = invStd;
        float unbiased = m > 1 ? var * ((float)m / (float)(m - 1)) : var;
        runningMean[c] = (1.0f - momentum) * runningMean[c] + momentum * mean;
        runningVar[c] = (1.0f - momentum) * runningVar[c] + momentum * unbiased;
    }
    const float g = gamma[c];
    const float b = beta[c];
    for (long long j = threadIdx.x; j < m; j += blockDim.x) {
        long long at = ((j / S) * C + c) * S + j % S;
        y[at] = g * (x[at] - mean) * invStd + b;
    }
}

// One thread per element: y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta.
extern "C" __global__ void batchnorm_forward_inference_f32(const float* x, const float* gamma, const float* beta,
                                                           const float* runningMean, const float* runningVar,
                                                           float* y, int N, int C, int S, float eps) {
    const long long total = (long long)N * C * S;
    GRID_STRIDE_LOOP(i, total) {
        int c = (int)((i / S) % C);
        y[i] = gamma[c] * (x[i] - runningMean[c]) / sqrtf(runningVar[c] + eps) + beta[c];
    }
}

// One block per channel: the two sums, dgamma and dbeta (accumulated), then dx of the channel:
// xhat = (x - mean) * invStd; dbeta += sum dy; dgamma += sum dy*xhat;
// dx = gamma * invStd / m * (m*dy - sum dy - xhat * sum dy*xhat).
extern "C" __global__ void batchnorm_backward_f32(const float* x, const float* dy, const float* gamma,
                                                  const float* saveMean, const float* saveInvStd, float* dx,
                                                  float* dgamma, float* dbeta, int N, int C, int S) {
    __shared__ float partial[CN4J_BLOCK];
    const int c = blockIdx.x;
    const long long m = (long long)N * S;
    const float mean = saveMean[c];
    const float invStd = saveInvStd[c];
    float sdy = 0.0f;
    float sdyx = 0.0f;
    for (long long j = threadIdx.x; j < m; j += blockDim.x) {
        long long at = ((j / S) * C + c) * S + j % S;
        float d = dy[at];
        sdy += d;
        sdyx += d * (x[at] - mean) * invStd;
    }
    const float sumDy = cn4j_block_sum(sdy, partial);
    const float sumDyXhat = cn4j_block_sum(sdyx, partial);
    if (threadIdx.x == 0) {
        dbeta[c] += sumDy;
        dgamma[c] += sumDyXhat;
    }
    const float scale = gamma[c] * invStd / (float)m;
    for (long long j = threadIdx.x; j < m; j += blockDim.x) {
        long long at = ((j / S) * C + c) * S + j % S;
        float xhat = (x[at] - mean) * invStd;
        dx[at] = scale * ((float)m * dy[at] - sumDy - xhat * sumDyXhat);
    }
}


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

// One thread per element (n, c, s): the gradient of every y in whose window it lies,
//   dx_j = dy_j * scale_j^(-beta) - (2*alpha*beta/size) * x_j * sum over i whose window holds j of dy_i*y_i/scale_i,
// where the windows holding j are i in [j - size/2, j + (size-1)/2]. The sum runs in channel order: deterministic.
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
