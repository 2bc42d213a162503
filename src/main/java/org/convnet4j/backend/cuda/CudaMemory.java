package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import org.convnet4j.backend.MemoryOps;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The memory family on the GPU: copies between host and device and within the device ({@link DeviceOps}),
 * and the fill kernel of kernels/memory.cu. Allocation itself stays with the backend, which owns the pool.
 * Host copies have no place in a captured graph step: they throw while one is captured or replayed.
 */
final class CudaMemory implements MemoryOps {
    private final KernelLauncher launcher;
    private final DeviceOps device;
    private final GraphPhase phase;

    CudaMemory(CudaOpContext context) {
        this.launcher = context.launcher();
        this.device = context.device();
        this.phase = launcher.phase();
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        phase.refuse("an upload to " + dst);
        device.upload(src, addressOf(dst));
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        phase.refuse("an upload to " + dst);
        device.upload(src, addressOf(dst));
    }

    @Override
    public void download(Tensor src, float[] dst) {
        phase.refuse("a download of " + src);
        device.download(addressOf(src), dst);
    }

    @Override
    public void download(Tensor src, int[] dst) {
        phase.refuse("a download of " + src);
        device.download(addressOf(src), dst);
    }

    /** Every element of t = value. */
    @Override
    public void fill(Tensor t, float value) {
        launcher.launch("fill_f32", t.size(), t, t.size(), value);
    }

    /** dst[i, :] = src[order[first + i], :] for each of dst's rows (32-bit elements; checked by the caller). */
    void gatherRows(Tensor src, Tensor order, int first, Tensor dst) {
        int rows = dst.shape().dim(0);
        int rowSize = dst.size() / rows;
        launcher.launch("gather_rows_u32", dst.size(), src, order, first, dst, rows, rowSize);
    }

    /** dst = src, of the same size and type; nothing to do when they share memory. */
    @Override
    public void copy(Tensor src, Tensor dst) {
        long from = addressOf(src);
        long to = addressOf(dst);
        if (from != to && phase.issue("copy", src.size())) {
            device.copy(from, to, ((CudaTensor) src).bytes());
        }
    }

    /**
     * The arguments of {@link CudaBackend#gatherRows}, a CUDA-only op outside the {@code Backend} seam, so
     * checked here once before the launch: tensors of this backend and open, rows of the same shape and
     * type, an INT32 order holding the rows asked for.
     */
    static void checkGather(CudaBackend backend, Tensor src, Tensor order, int first, Tensor dst) {
        for (Tensor t : new Tensor[] {src, order, dst}) {
            if (!(t instanceof CudaTensor ct) || ct.owner() != backend || !ct.usable()) {
                throw new IllegalArgumentException("gatherRows: " + t + " is not an open tensor of this CUDA"
                        + " backend");
            }
        }
        Shape s = src.shape();
        Shape d = dst.shape();
        boolean sameRows = d.rank() == s.rank() && s.size() / s.dim(0) == d.size() / d.dim(0);
        if (!sameRows || src.dataType() != dst.dataType() || order.dataType() != DataType.INT32
                || order.shape().rank() != 1) {
            throw new IllegalArgumentException("gatherRows: expected src [N, ...], dst [B, ...] with the same row"
                    + " shape and type, order INT32 [M]; got src " + src.dataType() + " " + s + ", dst "
                    + dst.dataType() + " " + d + ", order " + order.dataType() + " " + order.shape());
        }
        if (first < 0 || (long) first + d.dim(0) > order.shape().dim(0)) {
            throw new IllegalArgumentException("gatherRows: rows " + first + " .. " + ((long) first + d.dim(0) - 1)
                    + " of the order are asked for; it has " + order.shape().dim(0));
        }
    }
}
