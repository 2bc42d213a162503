// batchnorm.cu: batch normalization (training and inference forward, backward), per channel.
//
// Layout: x, y, dy, dx [N, C, S] with S = H*W (NCHW) or S = 1 ([N, C]); gamma, beta, running and saved
// statistics, dgamma, dbeta [C]. Channel c's m = N*S values are at (n*C + c)*S + s.
// Launch geometry:
//   batchnorm_forward_training_f32, batchnorm_backward_f32: one block of 256 threads per channel
//     (gridDim.x = C); each thread sums a fixed strided subset of the channel in order, then a fixed
//     shared-memory tree (cn4j_block_sum): deterministic, no atomics. The same block then writes the channel's
//     outputs, so no workspace is needed.
//   batchnorm_forward_inference_f32: grid-stride over the N*C*S elements.
// Kernels:
//   training forward: mean = sum x / m, var = sum (x - mean)^2 / m (two passes), invStd = 1/sqrt(var + eps),
//     y = gamma * (x - mean) * invStd + beta; saveMean = mean, saveInvStd = invStd;
//     running = (1 - momentum) * running + momentum * batch statistic, the variance unbiased (var * m/(m-1),
//     var itself when m == 1).
//   inference forward: y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta.
//   backward: xhat = (x - mean) * invStd; dbeta += sum dy; dgamma += sum dy*xhat;
//     dx = gamma * invStd / m * (m*dy - sum dy - xhat * sum dy*xhat).
#include "common.cuh"

// One block per channel: batch statistics, running statistics, and the normalized output of the channel.
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

// One thread per element: normalization with the running statistics.
extern "C" __global__ void batchnorm_forward_inference_f32(const float* x, const float* gamma, const float* beta,
                                                           const float* runningMean, const float* runningVar,
                                                           float* y, int N, int C, int S, float eps) {
    const long long total = (long long)N * C * S;
    GRID_STRIDE_LOOP(i, total) {
        int c = (int)((i / S) % C);
        y[i] = gamma[c] * (x[i] - runningMean[c]) / sqrtf(runningVar[c] + eps) + beta[c];
    }
}

// One block per channel: the two sums, dgamma and dbeta (accumulated), then dx of the channel.
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
