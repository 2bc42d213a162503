// bias.cu: per-channel bias add and its gradient.
//
// Layout: y and dy [N, C, S] where S is the product of the dimensions after the channel (H*W for NCHW,
// 1 for a fully connected [N, C] output); bias and dbias [C].
// Launch geometry:
//   add_bias_f32    grid-stride over the n = N*C*S elements, 256-thread blocks.
//   bias_grad_f32   one block of 256 threads per channel (gridDim.x = C): each thread sums a fixed strided
//                   subset of the channel's N*S values in order, then a fixed shared-memory tree adds the
//                   256 partial sums; thread 0 adds the total to dbias[c]. Deterministic, no atomics.
#include "common.cuh"

// One thread per element: y += bias[channel of the element].
extern "C" __global__ void add_bias_f32(float* y, const float* bias, int n, int C, int S) {
    GRID_STRIDE_LOOP(i, n) {
        int c = (int)((i / S) % C);
        y[i] += bias[c];
    }
}

// One block per channel c: dbias[c] += sum over n and s of dy[n, c, s]. Thread t visits j = t, t + 256, ...
// of the channel's N*S values, j = n*S + s, stepping (n, s) without dividing inside the loop.
extern "C" __global__ void bias_grad_f32(const float* dy, float* dbias, int N, int C, int S) {
    __shared__ float partial[CN4J_BLOCK];
    const int c = blockIdx.x;
    const int stepN = (int)blockDim.x / S;
    const int stepS = (int)blockDim.x - stepN * S;
    int n = (int)threadIdx.x / S;
    int s = (int)threadIdx.x - n * S;
    float mine = 0.0f;
    while (n < N) {
        mine += dy[((long long)n * C + c) * S + s];
        n += stepN;
        s += stepS;
        if (s >= S) {
            s -= S;
            ++n;
        }
    }
    float total = cn4j_block_sum(mine, partial);
    if (threadIdx.x == 0) {
        dbias[c] += total;
    }
}
