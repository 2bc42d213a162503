// dense.cu: a fully connected layer's kernels besides cuBLAS: the per-channel bias add and its gradient, and
// our own single-precision GEMM (the fallback GemmProvider "kernel" where no cuBLAS loads, and a baseline).
//
// Layout: bias: y and dy [N, C, S], S the product of the dimensions after the channel (H*W for NCHW, 1 for a
// fully connected [N, C] output); bias and dbias [C]. GEMM: row-major, strided batched: for batch item
// z = blockIdx.z, C_z = alpha * op(A_z) * op(B_z) + beta * C_z with op(A) [M, K], op(B) [K, N], C [M, N]. A is
// stored [M, K] with row stride lda, or, when transA, [K, M]; B is stored [K, N] with row stride ldb, or, when
// transB, [N, K]; C has row stride ldc. Item z's matrices start strideA/strideB/strideC elements after item
// z-1's (0 = the same matrix for every item). With beta == 0, C is written without being read (it may hold NaN).
// Launch geometry:
//   add_bias_f32: grid-stride over the N*C*S elements, 256-thread blocks (common.cuh).
//   bias_grad_f32: one block of 256 threads per channel (gridDim.x = C), a fixed shared-memory tree, no atomics.
//   sgemm_*: grid (ceil(N/128), ceil(M/128), batch), 256-thread blocks; block (x, y) owns the 128x128 tile of C
//   at rows 128y.., columns 128x...
// Kernels:
//   add_bias_f32    y += bias[channel of the element].
//   bias_grad_f32   dbias[c] += sum over n and s of dy[n, c, s], deterministic.
//   sgemm_naive     each output a plain dot product from global memory: slow, the oracle for sgemm_tiled.
//   sgemm_tiled     8-deep k slices of op(A) and op(B) in shared memory, an 8x8 register block per thread.
#include "common.cuh"

// One thread per element: y += bias[channel of the element].
extern "C" __global__ void add_bias_f32(float* y, const float* bias, int n, int C, int S) {
    GRID_STRIDE_LOOP(i, n) {
        int c = (int)((i / S) % C);
        y[i] += bias[c];
    }
}

// One block per channel c: dbias[c] += sum over n and s of dy[n, c, s]. Thread t visits j = t, t + 256, ...
// of the channel's N*S values, j = n*S + s, in order, stepping (n, s) without dividing inside the loop; a fixed
// shared-memory tree adds the 256 partial sums and thread 0 adds the total to dbias[c].
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


#define CN4J_GEMM_TILE 128
#define CN4J_GEMM_TK 8
#define CN4J_GEMM_PAD 4

// Element (r, c) of op(X): X stored row-major with row stride ld, transposed when trans.
static __device__ __forceinline__ float cn4j_gemm_at(const float* X, int trans, int ld, int r, int c) {
    return trans ? X[(long long)c * ld + r] : X[(long long)r * ld + c];
}

// One block per 128x128 tile of C; each thread 64 of its elements, one at a time, each a dot product over k
// straight from global memory.
extern "C" __global__ void sgemm_naive(int transA, int transB, int M, int N, int K, float alpha,
                                       const float* A, int lda, long long strideA,
                                       const float* B, int ldb, long long strideB,
                                       float beta, float* C, int ldc, long long strideC) {
    A += blockIdx.z * strideA;
    B += blockIdx.z * strideB;
    C += blockIdx.z * strideC;
    for (int e = threadIdx.x; e < CN4J_GEMM_TILE * CN4J_GEMM_TILE; e += blockDim.x) {
        int i = blockIdx.y * CN4J_GEMM_TILE + e / CN4J_GEMM_TILE;
        int j = blockIdx.x * CN4J_GEMM_TILE + e % CN4J_GEMM_TILE;
        if (i < M && j < N) {
            float acc = 0.0f;
            for (int p = 0; p < K; ++p) {
                acc += cn4j_gemm_at(A, transA, lda, i, p) * cn4j_gemm_at(B, transB, ldb, p, j);
            }
            float* out = C + (long long)i * ldc + j;
            *out = beta == 0.0f ? alpha * acc : alpha * acc + beta * *out;
        }
    }
}

// One block per 128x128 tile of C. K is walked in steps of 8: the block stages the 128x8 slice of op(A) (stored
// k-major, As[k][m]) and the 8x128 slice of op(B) in shared memory, zero-padded at the edges, with loads laid out
// so consecutive threads read consecutive addresses of the stored matrix. Thread (tx, ty) = (t % 16, t / 16)
// then accumulates the 8x8 elements at rows {4ty.., 64+4ty..} x columns {4tx.., 64+4tx..} (four 4x4 quadrants):
// per k step it reads two float4 of A and two of B from shared memory (a half-warp reads 256 contiguous bytes)
// for 64 FMAs. Sums run over k in order: deterministic.
extern "C" __global__ void sgemm_tiled(int transA, int transB, int M, int N, int K, float alpha,
                                       const float* A, int lda, long long strideA,
                                       const float* B, int ldb, long long strideB,
                                       float beta, float* C, int ldc, long long strideC) {
    // As[kk][r] = op(A)(m0 + r, k0 + kk), Bs[kk][c] = op(B)(k0 + kk, n0 + c); 16-byte aligned for float4 reads;
    // rows padded by 4 floats (still 16-byte multiples): the transposing stores hit 32 distinct banks
    __shared__ __align__(16) float As[CN4J_GEMM_TK][CN4J_GEMM_TILE + CN4J_GEMM_PAD];
    __shared__ __align__(16) float Bs[CN4J_GEMM_TK][CN4J_GEMM_TILE + CN4J_GEMM_PAD];
    A += blockIdx.z * strideA;
    B += blockIdx.z * strideB;
    C += blockIdx.z * strideC;
    const int m0 = blockIdx.y * CN4J_GEMM_TILE;
    const int n0 = blockIdx.x * CN4J_GEMM_TILE;
    const int t = threadIdx.x;
    const int tx = t % 16;
    const int ty = t / 16;
    float acc[8][8];
    for (int i = 0; i < 8; ++i) {
        for (int j = 0; j < 8; ++j) {
            acc[i][j] = 0.0f;
        }
    }
    for (int k0 = 0; k0 < K; k0 += CN4J_GEMM_TK) {
        // 128*8 = 1024 elements of each slice, 4 per thread, laid out so consecutive threads read
        // consecutive addresses of the stored matrix.
        for (int l = 0; l < 4; ++l) {
            int e = t + l * CN4J_BLOCK;
            int r, kk;
            if (transA) { // stored [K, M]: consecutive threads along m
                r = e % CN4J_GEMM_TILE;
                kk = e / CN4J_GEMM_TILE;
            } else {      // stored [M, K]: consecutive threads along k
                kk = e % CN4J_GEMM_TK;
                r = e / CN4J_GEMM_TK;
            }
            int gi = m0 + r;
            int gk = k0 + kk;
            As[kk][r] = (gi < M && gk < K) ? cn4j_gemm_at(A, transA, lda, gi, gk) : 0.0f;
            int c;
            if (transB) { // stored [N, K]: consecutive threads along k
                kk = e % CN4J_GEMM_TK;
                c = e / CN4J_GEMM_TK;
            } else {      // stored [K, N]: consecutive threads along n
                c = e % CN4J_GEMM_TILE;
                kk = e / CN4J_GEMM_TILE;
            }
            int gj = n0 + c;
            gk = k0 + kk;
            Bs[kk][c] = (gk < K && gj < N) ? cn4j_gemm_at(B, transB, ldb, gk, gj) : 0.0f;
        }
        __syncthreads();
        for (int kk = 0; kk < CN4J_GEMM_TK; ++kk) {
            float a[8];
            float b[8];
            for (int h = 0; h < 2; ++h) {
                float4 av = *reinterpret_cast<const float4*>(&As[kk][h * 64 + ty * 4]);
                float4 bv = *reinterpret_cast<const float4*>(&Bs[kk][h * 64 + tx * 4]);
                a[h * 4 + 0] = av.x;
                a[h * 4 + 1] = av.y;
                a[h * 4 + 2] = av.z;
                a[h * 4 + 3] = av.w;
                b[h * 4 + 0] = bv.x;
                b[h * 4 + 1] = bv.y;
                b[h * 4 + 2] = bv.z;
                b[h * 4 + 3] = bv.w;
            }
            for (int i = 0; i < 8; ++i) {
                for (int j = 0; j < 8; ++j) {
                    acc[i][j] += a[i] * b[j];
                }
            }
        }
        __syncthreads();
    }
    for (int i = 0; i < 8; ++i) {
        int row = m0 + (i / 4) * 64 + ty * 4 + i % 4;
        if (row >= M) {
            continue;
        }
        for (int j = 0; j < 8; ++j) {
            int col = n0 + (j / 4) * 64 + tx * 4 + j % 4;
            if (col < N) {
                float* out = C + (long long)row * ldc + col;
                *out = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out;
            }
        }
    }
}
