// memory.cu: filling device memory and gathering rows (copies go through the driver's cuMemcpyDtoD).
//
// Layout: flat float32 arrays (any tensor, NCHW or not); gather_rows_u32 moves 32-bit words (floats or int
// labels) of row-major [rows, rowSize] matrices.
// Launch geometry: grid-stride, 256-thread blocks, grid ceil(n/256) capped (common.cuh).
// Kernels:
//   fill_f32          x[i] = value (NaN too: tests poison outputs with it).
//   gather_rows_u32   dst[i, :] = src[order[first + i], :] for i < rows: a shuffled batch built on the device
//                     from a dataset held there and the epoch's order.
#include "common.cuh"

// One thread per element: x[i] = value.
extern "C" __global__ void fill_f32(float* x, int n, float value) {
    GRID_STRIDE_LOOP(i, n) {
        x[i] = value;
    }
}

// One thread per element of dst [rows, rowSize]: dst[i, j] = src[order[first + i], j], bits copied as they are.
extern "C" __global__ void gather_rows_u32(const unsigned int* src, const int* order, int first, unsigned int* dst,
                                           int rows, int rowSize) {
    GRID_STRIDE_LOOP(e, (long long)rows * rowSize) {
        long long i = e / rowSize;
        long long j = e - i * rowSize;
        dst[e] = src[(long long)order[first + i] * rowSize + j];
    }
}
