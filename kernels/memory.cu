// memory.cu: filling device memory (copies go through the driver's cuMemcpyDtoD, not a kernel).
//
// Layout: flat float32 arrays (any tensor, NCHW or not).
// Launch geometry: grid-stride, 256-thread blocks, grid ceil(n/256) capped (common.cuh).
// Kernels:
//   fill_f32   x[i] = value (NaN too: tests poison outputs with it).
#include "common.cuh"

// One thread per element: x[i] = value.
extern "C" __global__ void fill_f32(float* x, int n, float value) {
    GRID_STRIDE_LOOP(i, n) {
        x[i] = value;
    }
}
