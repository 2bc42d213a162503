// common.cuh: launch conventions shared by every kernel file of convnet4j.
//
// Layout: tensors are NCHW float32, row-major, densely packed; int32 for labels and pooling switches.
// Launch geometry: element-wise kernels run with 256-thread blocks (KernelLauncher.BLOCK) on a grid of
// ceil(n/256) blocks capped at 65536, and loop with a grid-stride loop, so any grid covers any n.
// Reductions that must be deterministic use one block of 256 threads per output (per channel, or one
// block for the whole loss) and a fixed-order shared-memory tree, never atomics.
// Every file is #included into one generated unity file (build.sh), so helpers here are static
// __device__ functions or macros behind this include guard.
#ifndef CONVNET4J_COMMON_CUH
#define CONVNET4J_COMMON_CUH

#define CN4J_BLOCK 256

// for (i = global thread index; i < n; i += total threads), with a 64-bit index so i + stride never overflows.
#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)blockDim.x * gridDim.x)

// Sums v over the 256 threads of the block in a fixed order and returns the total to every thread.
// shared must hold CN4J_BLOCK floats. Every thread of the block must call it.
static __device__ float cn4j_block_sum(float v, float* shared) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int half = CN4J_BLOCK / 2; half > 0; half >>= 1) {
        if ((int)threadIdx.x < half) {
            shared[threadIdx.x] += shared[threadIdx.x + half];
        }
        __syncthreads();
    }
    float total = shared[0];
    __syncthreads(); // shared may be reused by the caller right after
    return total;
}

// The maximum of v over the 256 threads of the block, returned to every thread (same contract as cn4j_block_sum).
static __device__ float cn4j_block_max(float v, float* shared) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int half = CN4J_BLOCK / 2; half > 0; half >>= 1) {
        if ((int)threadIdx.x < half) {
            shared[threadIdx.x] = fmaxf(shared[threadIdx.x], shared[threadIdx.x + half]);
        }
        __syncthreads();
    }
    float best = shared[0];
    __syncthreads();
    return best;
}

#endif
