package org.convnet4j.nativetest;

import org.convnet4j.tensor.Tensor;

/** The same tensor on the CPU and the GPU backend. */
public record Twin(Tensor cpu, Tensor gpu) implements AutoCloseable {
    @Override
    public void close() {
        cpu.close();
        gpu.close();
    }
}
