package org.convnet4j.bench;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Inverted dropout, p = 0.5, forward (mask from the seed's hash, y = x * mask) and backward (dx = dy * mask)
 * on {@link KernelWorkloads#DROPOUTS} (AlexNet's fc6 output at batch 128, and 256 MiB). Ours only: cuDNN's
 * dropout draws its own random states, so it would not make the same mask. Each call ends with a device
 * synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads#bytesPerElement} = 12n bytes either pass
 * (forward reads x and writes the mask and y; backward reads dy and the mask and writes dx), divided by the
 * time (GB/s beside the ms).
 */
public class DropoutBenchmark extends OpBenchmark {
    private static final float P = 0.5f;

    @Param({"alexnet/drop7", "256MiB"})
    public String size;

    private Tensor x;
    private Tensor mask;
    private Tensor y;
    private Tensor dx;

    @Override
    protected void setup(String method) {
        KernelWorkloads.Elements d = tiny ? KernelWorkloads.dropout(size).tiny() : KernelWorkloads.dropout(size);
        Shape shape = Shape.of(d.n());
        x = random(shape, 1);
        mask = zeros(shape);
        y = zeros(shape);
        dx = zeros(shape);
        backend.dropoutForward(x, P, 7, mask, y);
    }

    @Benchmark
    public void forward(Skips skips) {
        measure(skips, () -> backend.dropoutForward(x, P, 7, mask, y));
    }

    /** dy is the forward's x (any values do). */
    @Benchmark
    public void backward(Skips skips) {
        measure(skips, () -> backend.dropoutBackward(x, mask, dx));
    }
}
