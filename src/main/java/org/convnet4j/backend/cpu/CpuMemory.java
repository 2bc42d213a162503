package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;
import static org.convnet4j.backend.cpu.CpuTensor.ints;

import java.util.Arrays;

import org.convnet4j.backend.MemoryOps;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Tensor;

/**
 * The memory family on the CPU: copies between host arrays and tensors, fill and copy (allocation stays
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
}
