package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;
import static org.convnet4j.backend.cpu.CpuTensor.ints;

import java.util.Arrays;

import org.convnet4j.backend.MemoryOps;
import org.convnet4j.backend.PendingDownload;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Tensor;

/**
 * The memory family on the CPU: copies between host arrays and tensors, fill, copy and gather (allocation stays
 * in {@link CpuBackend}, which owns the tensors and counts their bytes). Arguments are checked by the
 * backend (OpChecks) before they get here.
 */
final class CpuMemory implements MemoryOps {

    @Override
    public void upload(float[] src, Tensor dst) {
        System.arraycopy(src, 0, floats(dst), 0, src.length);
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        System.arraycopy(src, 0, ints(dst), 0, src.length);
    }

    @Override
    public void download(Tensor src, float[] dst) {
        System.arraycopy(floats(src), 0, dst, 0, dst.length);
    }

    @Override
    public void download(Tensor src, int[] dst) {
        System.arraycopy(ints(src), 0, dst, 0, dst.length);
    }

    /** Read at once: the values are here already. */
    @Override
    public PendingDownload downloadLater(Tensor src) {
        float[] values = floats(src).clone();
        return () -> values;
    }

    @Override
    public void fill(Tensor t, float value) {
        Arrays.fill(floats(t), value);
    }

    /** dst = src, same size and data type. */
    @Override
    public void copy(Tensor src, Tensor dst) {
        if (src.dataType() == DataType.FLOAT32) {
            System.arraycopy(floats(src), 0, floats(dst), 0, src.size());
        } else {
            System.arraycopy(ints(src), 0, ints(dst), 0, src.size());
        }
    }

    /** dst[i, :] = src[order[first + i], :], 32-bit values copied; a row number outside src is an error. */
    @Override
    public void gatherRows(Tensor src, Tensor order, int first, Tensor dst) {
        int rows = dst.shape().dim(0);
        int rowSize = dst.size() / rows;
        int n = src.shape().dim(0);
        int[] o = ints(order);
        boolean isFloat = src.dataType() == DataType.FLOAT32;
        for (int i = 0; i < rows; i++) {
            int r = o[first + i];
            if (r < 0 || r >= n) {
                throw new IllegalArgumentException("gatherRows: order[" + (first + i) + "] is " + r + ", outside [0, "
                        + n + ")");
            }
            if (isFloat) {
                System.arraycopy(floats(src), r * rowSize, floats(dst), i * rowSize, rowSize);
            } else {
                System.arraycopy(ints(src), r * rowSize, ints(dst), i * rowSize, rowSize);
            }
        }
    }
}
