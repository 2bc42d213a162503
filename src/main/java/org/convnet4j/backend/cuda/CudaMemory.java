package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import org.convnet4j.backend.MemoryOps;
import org.convnet4j.backend.PendingDownload;
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

    /** Into a pinned buffer of a ring of two, with an event that {@link PendingDownload#get} waits for. */
    @Override
    public PendingDownload downloadLater(Tensor src) {
        phase.refuse("a download of " + src);
        return device.downloadLater(addressOf(src), src.size());
    }

    /** Every element of t = value. */
    @Override
    public void fill(Tensor t, float value) {
        launcher.launch("fill_f32", t.size(), t, t.size(), value);
    }

    /** dst[i, :] = src[order[first + i], :] for each of dst's rows (32-bit elements; checked by the caller). */
    @Override
    public void gatherRows(Tensor src, Tensor order, int first, Tensor dst) {
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
}
