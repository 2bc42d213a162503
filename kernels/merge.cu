// merge.cu: where branches of a network meet: the element-wise sum of a residual block and the strided channel
// copy that concatenates branches (inception) and splits the concatenation's gradient back into them.
//
// Layout: flat float32 arrays for add; NCHW for copy_channels, seen per item as channels x inner (inner = H*W).
// Launch geometry: grid-stride, 256-thread blocks, grid ceil(n/256) capped (common.cuh), one thread per element
// written; the copy's index math: one 64-bit division finds the item, the rest is 32-bit.
// Kernels:
//   add_f32             y = a + b (y may be a or b).
//   copy_channels_f32   channels [srcChannel, + channels) of each item of src -> [dstChannel, + channels) of dst.
#include "common.cuh"

// One thread per element: y[i] = a[i] + b[i].
extern "C" __global__ void add_f32(const float* a, const float* b, float* y, int n) {
    GRID_STRIDE_LOOP(i, n) {
        y[i] = a[i] + b[i];
    }
}

// One thread per copied element (item i, channel k < channels, position j < inner): reads src at
// ((i*srcChannels + srcChannel + k)*inner + j), writes dst at ((i*dstChannels + dstChannel + k)*inner + j).
extern "C" __global__ void copy_channels_f32(const float* src, float* dst, int N, int srcChannels, int dstChannels,
                                             int inner, int srcChannel, int dstChannel, int channels) {
    const int run = channels * inner; // the contiguous block of one item
    const long long total = (long long)N * run;
    GRID_STRIDE_LOOP(e, total) {
        long long i = e / run;
        int r = (int)(e - i * run);
        dst[(i * dstChannels + dstChannel) * inner + r] = src[(i * srcChannels + srcChannel) * inner + r];
    }
}
