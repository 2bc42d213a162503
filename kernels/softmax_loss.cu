// softmax_loss.cu: numerically stable softmax with mean cross-entropy, its gradient, and argmax.
//
// Layout: logits, probs and dlogits [N, K] row-major (one row per item, K classes); labels int32 [N];
// loss a 1-element float buffer.
// Launch geometry:
//   softmax_xent_forward_f32   ONE block of 256 threads: thread t handles rows t, t+256, ...; its row losses
//                              are summed in row order, then the 256 partial sums by a fixed shared-memory
//                              tree: the mean loss is reduced on the device, deterministically, into loss[0].
//   softmax_xent_backward_f32  grid-stride over N*K elements.
//   argmax_f32                 grid-stride over N rows.
// Kernels:
//   forward: m = max_j x_j, s = sum_j exp(x_j - m), p_j = exp(x_j - m) / s,
//            row loss = log(s) - (x_label - m) (= -log p_label without underflow);
//            loss = (1/N) sum of row losses; a label outside [0, K) makes the loss NaN.
//   backward: dlogits = (p - onehot(label)) / N.
//   argmax: the index of the largest value of each row, ties to the lowest index.
#include "common.cuh"

// One block; one thread per row (strided): softmax of the row into probs and its loss into a partial sum.
extern "C" __global__ void softmax_xent_forward_f32(const float* logits, const int* labels, float* probs,
                                                    float* loss, int N, int K) {
    __shared__ float partial[CN4J_BLOCK];
    float mine = 0.0f;
    for (int n = threadIdx.x; n < N; n += blockDim.x) {
        const float* x = logits + (long long)n * K;
        float* p = probs + (long long)n * K;
        float m = x[0];
        for (int j = 1; j < K; ++j) {
            m = fmaxf(m, x[j]);
        }
        float s = 0.0f;
        for (int j = 0; j < K; ++j) {
            float e = expf(x[j] - m);
            p[j] = e;
            s += e;
        }
        float inv = 1.0f / s;
        for (int j = 0; j < K; ++j) {
            p[j] *= inv;
        }
        int label = labels[n];
        if (label >= 0 && label < K) {
            mine += logf(s) - (x[label] - m);
        } else {
            mine += __int_as_float(0x7fc00000); // NaN: the label is out of range
        }
    }
    float total = cn4j_block_sum(mine, partial);
    if (threadIdx.x == 0) {
        loss[0] = total / (float)N;
    }
}

// One thread per element (n, j): dlogits = (p - (j == label)) / N.
extern "C" __global__ void softmax_xent_backward_f32(const float* probs, const int* labels, float* dlogits,
                                                     int N, int K) {
    const long long total = (long long)N * K;
    GRID_STRIDE_LOOP(i, total) {
        int j = (int)(i % K);
        int n = (int)(i / K);
        float target = labels[n] == j ? 1.0f : 0.0f;
        dlogits[i] = (probs[i] - target) / (float)N;
    }
}

// One thread per row: the index of its largest value, the lowest index among ties.
extern "C" __global__ void argmax_f32(const float* x, int* out, int N, int K) {
    GRID_STRIDE_LOOP(n, N) {
        const float* row = x + n * (long long)K;
        float best = row[0];
        int where = 0;
        for (int j = 1; j < K; ++j) {
            if (row[j] > best) {
                best = row[j];
                where = j;
            }
        }
        out[n] = where;
    }
}
