package org.convnet4j.bench;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Device-to-device copy ({@code Backend.copy}) of {@link KernelWorkloads#COPIES} (256 MiB) into another
 * tensor: the memory bandwidth the element-wise kernels are measured against, and the report's
 * "device-to-device copy" figure when no {@code convnet4j bench --copy-mib} result gives one. Each call ends
 * with a device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads#bytesPerElement} = 8n bytes (read n
 * floats, write n floats: the usual 2 x bytes of a copy, as {@code bench --copy-mib}), divided by the time
 * (GB/s beside the ms).
 */
public class MemoryBenchmark extends OpBenchmark {

    @Param({"256MiB"})
    public String size;

    private Tensor src;
    private Tensor dst;

    @Override
    protected void setup(String method) {
        KernelWorkloads.Elements c = tiny ? KernelWorkloads.copy(size).tiny() : KernelWorkloads.copy(size);
        src = random(Shape.of(c.n()), 1);
        dst = zeros(Shape.of(c.n()));
    }

    @Benchmark
    public void copy(Skips skips) {
        measure(skips, () -> backend.copy(src, dst));
    }
}
