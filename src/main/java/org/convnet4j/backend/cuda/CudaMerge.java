package org.convnet4j.backend.cuda;

import org.convnet4j.backend.ChannelCopyGeometry;
import org.convnet4j.backend.MergeOps;
import org.convnet4j.tensor.Tensor;

/**
 * The merge family on the GPU: the kernels of kernels/merge.cu, one thread per output element. A channel
 * concatenation is one {@code copy_channels_f32} launch per branch, and its backward split the same kernel
 * the other way: no kernel per branch count, no extra buffer.
 */
final class CudaMerge implements MergeOps {
    private final KernelLauncher launcher;

    CudaMerge(CudaOpContext context) {
        this.launcher = context.launcher();
    }

    /** y = a + b element-wise (y may be a or b). */
    @Override
    public void add(Tensor a, Tensor b, Tensor y) {
        launcher.launch("add_f32", y.size(), a, b, y, y.size());
    }

    /** The channel range of src into the channel range of dst, as the geometry says. */
    @Override
    public void copyChannels(ChannelCopyGeometry g, Tensor src, Tensor dst) {
        launcher.launch("copy_channels_f32", g.size(), src, dst, g.n(), g.srcChannels(), g.dstChannels(), g.inner(),
                g.srcChannel(), g.dstChannel(), g.channels());
    }
}
