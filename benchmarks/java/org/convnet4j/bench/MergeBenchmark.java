package org.convnet4j.bench;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * The merge family on {@link KernelWorkloads#MERGES}: {@code add} is a residual sum y = a + b of n floats;
 * {@code concat} writes n floats [B, 256, n/(B*256)] (B = 128, or 1 when tiny) from an inception module's
 * four branches of 64, 128, 32 and 32 channels, one {@code copyChannels} per branch (its backward split is the
 * same kernel the other way). Each call ends with a device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads#bytesPerElement} times n, 12 for add (read a
 * and b, write y) and 8 for concat (read a branch, write y), divided by the time (GB/s beside the ms).
 */
public class MergeBenchmark extends OpBenchmark {
    private static final int[] BRANCHES = {64, 128, 32, 32};

    @Param({"resnet18/layer1", "googlenet/inception3a"})
    public String size;

    private Tensor a;
    private Tensor b;
    private Tensor y;
    private Tensor[] branches;
    private Tensor cat;

    @Override
    protected void setup(String method) {
        KernelWorkloads.Elements e = tiny ? KernelWorkloads.merge(size).tiny() : KernelWorkloads.merge(size);
        if (method.equals("add")) {
            a = random(Shape.of(e.n()), 1);
            b = random(Shape.of(e.n()), 2);
            y = zeros(Shape.of(e.n()));
        } else {
            int batch = tiny ? 1 : 128;
            int inner = e.n() / (batch * 256);
            branches = new Tensor[BRANCHES.length];
            for (int i = 0; i < BRANCHES.length; i++) {
                branches[i] = random(Shape.of(batch, BRANCHES[i], inner), 3 + i);
            }
            cat = zeros(Shape.of(batch, 256, inner));
        }
    }

    @Benchmark
    public void add(Skips skips) {
        measure(skips, () -> backend.add(a, b, y));
    }

    @Benchmark
    public void concat(Skips skips) {
        measure(skips, () -> {
            int offset = 0;
            for (int i = 0; i < BRANCHES.length; i++) {
                backend.copyChannels(branches[i], 0, cat, offset, BRANCHES[i]);
                offset += BRANCHES[i];
            }
        });
    }
}
