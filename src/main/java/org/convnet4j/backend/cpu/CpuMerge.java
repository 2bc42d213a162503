package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import org.convnet4j.backend.ChannelCopyGeometry;
import org.convnet4j.backend.MergeOps;
import org.convnet4j.tensor.Tensor;

/**
 * The merge family on the CPU: the element-wise sum of a residual block and the strided channel copy of a
 * concatenation (and of its backward split). Arguments are checked by the backend (OpChecks) before they
 * get here.
 */
final class CpuMerge implements MergeOps {
    private final CpuContext context;

    CpuMerge(CpuContext context) {
        this.context = context;
    }

    /** y = a + b; y may be a or b. */
    @Override
    public void add(Tensor a, Tensor b, Tensor y) {
        float[] av = floats(a);
        float[] bv = floats(b);
        float[] yv = floats(y);
        context.elementwise(y.size(), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                yv[i] = av[i] + bv[i];
            }
        });
    }

    /** One contiguous run of inner * channels values per item, from src's channel range to dst's. */
    @Override
    public void copyChannels(ChannelCopyGeometry g, Tensor src, Tensor dst) {
        float[] sv = floats(src);
        float[] dv = floats(dst);
        int run = g.channels() * g.inner();
        for (int i = 0; i < g.n(); i++) {
            System.arraycopy(sv, (i * g.srcChannels() + g.srcChannel()) * g.inner(), dv,
                    (i * g.dstChannels() + g.dstChannel()) * g.inner(), run);
        }
    }
}
