package org.convnet4j.backend.cuda;

import java.util.Arrays;

import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.PoolGeometry;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.backend.PoolingOps;
import org.convnet4j.tensor.Tensor;

/**
 * The pooling family on the GPU: the kernels of kernels/pooling.cu, one thread per output element going
 * forward (max writes the int32 index of its winner into switches) and one per input element going
 * backward (a gather over the windows that cover it: no atomics).
 */
final class CudaPooling implements PoolingOps {
    private final KernelLauncher launcher;

    CudaPooling(CudaOpContext context) {
        this.launcher = context.launcher();
    }

    /** y = the max of each window of x [N,C,H,W]; switches = the index of each winner in its image plane. */
    @Override
    public void maxPoolForward(PoolGeometry g, Tensor x, Tensor y, Tensor switches) {
        launcher.launch("maxpool_forward_f32", y.size(), args(g, x, y, switches));
    }

    /** dx = dy routed to the winners recorded in switches. */
    @Override
    public void maxPoolBackward(PoolGeometry g, Tensor dy, Tensor switches, Tensor dx) {
        launcher.launch("maxpool_backward_f32", dx.size(), args(g, dy, switches, dx));
    }

    /** y = the mean of each window of x (padding counts as zeros: each sum is divided by the window's area). */
    @Override
    public void avgPoolForward(PoolGeometry g, Tensor x, Tensor y) {
        launcher.launch("avgpool_forward_f32", y.size(), args(g, x, y));
    }

    /** dx = dy spread evenly over each window. */
    @Override
    public void avgPoolBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        launcher.launch("avgpool_backward_f32", dx.size(), args(g, dy, dx));
    }

    /** y = the mean of each plane of x: one thread per plane, summing it in row-major order. */
    @Override
    public void globalAvgPoolForward(ChannelGeometry g, Tensor x, Tensor y) {
        launcher.launch("global_avgpool_forward_f32", y.size(), x, y, g.n() * g.channels(), g.inner());
    }

    /** dx = dy / (H*W) over each plane, one thread per element of dx. */
    @Override
    public void globalAvgPoolBackward(ChannelGeometry g, Tensor dy, Tensor dx) {
        launcher.launch("global_avgpool_backward_f32", dx.size(), dy, dx, g.n() * g.channels(), g.inner());
    }

    /** The kernels' arguments: the tensors, then N, C, H, W of x, OH, OW and the window's sizes. */
    private static Object[] args(PoolGeometry g, Object... tensors) {
        PoolSpec s = g.spec();
        Object[] sizes = {g.n(), g.c(), g.h(), g.w(), g.oh(), g.ow(), s.kernelH(), s.kernelW(), s.strideH(),
                s.strideW(), s.padH(), s.padW()};
        Object[] all = Arrays.copyOf(tensors, tensors.length + sizes.length);
        System.arraycopy(sizes, 0, all, tensors.length, sizes.length);
        return all;
    }
}
