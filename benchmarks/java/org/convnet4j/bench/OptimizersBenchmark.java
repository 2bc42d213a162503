package org.convnet4j.bench;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * One optimizer step over every parameter of the original AlexNet ({@link KernelWorkloads#UPDATES}: 62.4 M
 * floats, as one tensor; a training step makes one call per parameter tensor, 16 for AlexNet, of the same
 * total traffic): SGD with momentum 0.9 (AlexNet's recipe: lr 0.01, weight decay 5e-4) and Adam (lr 1e-3,
 * betas 0.9 and 0.999, the step counting up). In place, ours only. Each call ends with a device
 * synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads#bytesPerElement} = 20n bytes for momentum
 * (read param, grad and velocity, write param and velocity), 28n for Adam (read param, grad, m and v, write
 * param, m and v), divided by the time (GB/s beside the ms).
 */
public class OptimizersBenchmark extends OpBenchmark {

    @Param({"alexnet"})
    public String params;

    private Tensor param;
    private Tensor grad;
    private Tensor state1;
    private Tensor state2;
    private int step;

    @Override
    protected void setup(String method) {
        KernelWorkloads.Elements u = tiny ? KernelWorkloads.update(params).tiny() : KernelWorkloads.update(params);
        Shape shape = Shape.of(u.n());
        param = random(shape, 1);
        grad = random(shape, 2);
        state1 = zeros(shape);
        state2 = zeros(shape);
        step = 0;
    }

    @Benchmark
    public void momentum(Skips skips) {
        measure(skips, () -> backend.momentumUpdate(param, grad, state1, 0.01f, 0.9f, 5e-4f, false));
    }

    @Benchmark
    public void adam(Skips skips) {
        measure(skips, () -> backend.adamUpdate(param, grad, state1, state2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, ++step));
    }
}
