// softmax_loss.cu: numerically stable softmax with mean cross-entropy, its gradient, argmax, and the per-batch
// tally a trainer reads once per epoch.
//
// Layout: logits, probs and dlogits [N, K] row-major (one row per item, K classes); labels int32 [N];
// loss a 1-element float buffer; tallies [S, 2] float (per batch: its loss, its correct predictions).
// Launch geometry:
//   softmax_xent_rows_f32   one block of 256 threads per row (block-stride over rows when N exceeds the grid):
//                           thread t handles columns t, t+256, ...; the row's max and sum of exponentials are
//                           fixed shared-memory trees.
//   mean_f32                ONE block of 256 threads: thread t sums v[t], v[t+256], ... in order, then a fixed
//                           tree: the mean loss, reduced on the device deterministically.
//   softmax_xent_backward_f32, argmax_f32   grid-stride over the N*K elements, and over the N rows.
//   tally_batch_f32         ONE block of 256 threads: thread t counts items t, t+256, ..., then a fixed int tree.
// NaN (as CpuBackend and PyTorch): a row with a NaN logit gets NaN probabilities and a NaN loss, so the mean
// loss is NaN; its gradient row is NaN too.
// Kernels:
//   softmax_xent_rows_f32       p = softmax of the row, rowLoss[n] = -log p_label (NaN for a label outside [0, K)).
//   mean_f32                    out[0] = (1/n) * the sum of v.
//   softmax_xent_backward_f32   dlogits = (p - onehot(label)) / N.
//   argmax_f32                  the index of each row's largest value, ties to the lowest index.
//   tally_batch_f32             tallies[slot] = (loss[0] if loss is not null, #{i < count: pred[i] == labels[i]}).
#include "common.cuh"

// One block per row: softmax of the row into probs and its cross-entropy into rowLoss[n]:
// m = max_j x_j, s = sum_j exp(x_j - m), p_j = exp(x_j - m) / s, row loss = log(s) - (x_label - m) (= -log p_label
// without underflow). A NaN logit: fmaxf skips it when finding m, but exp(NaN - m) makes s, so every p_j and the
// row loss, NaN.
extern "C" __global__ void softmax_xent_rows_f32(const float* logits, const int* labels, float* probs,
                                                 float* rowLoss, int N, int K) {
    __shared__ float partial[CN4J_BLOCK];
    for (int n = blockIdx.x; n < N; n += gridDim.x) {
        const float* x = logits + (long long)n * K;
        float* p = probs + (long long)n * K;
        float m = __int_as_float(0xff800000); // -infinity
        for (int j = threadIdx.x; j < K; j += blockDim.x) {
            m = fmaxf(m, x[j]);
        }
        m = cn4j_block_max(m, partial);
        float s = 0.0f;
        for (int j = threadIdx.x; j < K; j += blockDim.x) {
            s += expf(x[j] - m);
        }
        s = cn4j_block_sum(s, partial);
        float inv = 1.0f / s;
        for (int j = threadIdx.x; j < K; j += blockDim.x) {
            p[j] = expf(x[j] - m) * inv;
        }
        if (threadIdx.x == 0) {
            int label = labels[n];
            rowLoss[n] = label >= 0 && label < K ? logf(s) - (x[label] - m)
                                                 : __int_as_float(0x7fc00000); // NaN: label out of range
        }
    }
}

// One block: out[0] = (1/n) * the sum of v[0..n), in a fixed order.
extern "C" __global__ void mean_f32(const float* v, float* out, int n) {
    __shared__ float partial[CN4J_BLOCK];
    float mine = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        mine += v[i];
    }
    float total = cn4j_block_sum(mine, partial);
    if (threadIdx.x == 0) {
        out[0] = total / (float)n;
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

// One block: tallies[slot, 1] = the number of i < count with pred[i] == labels[i] (an integer, exact in float for
// count <= 2^24); tallies[slot, 0] = loss[0] when loss is not null (bits copied), else left alone.
extern "C" __global__ void tally_batch_f32(const int* pred, const int* labels, int count, const float* loss,
                                           float* tallies, int slot) {
    __shared__ int partial[CN4J_BLOCK];
    int mine = 0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        mine += pred[i] == labels[i] ? 1 : 0;
    }
    partial[threadIdx.x] = mine;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            partial[threadIdx.x] += partial[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        if (loss != nullptr) {
            tallies[2LL * slot] = loss[0];
        }
        tallies[2LL * slot + 1] = (float)partial[0];
    }
}
