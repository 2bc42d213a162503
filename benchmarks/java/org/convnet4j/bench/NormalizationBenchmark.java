package org.convnet4j.bench;

import org.convnet4j.backend.LrnSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Batch normalization (training forward with running statistics, and backward) and AlexNet's local
 * response normalization (size 5, alpha 1e-4, beta 0.75, k 2; forward and backward) on
 * {@link KernelWorkloads#NORMS} (AlexNet's conv1 output at batch 128). Ours only (no cuDNN baseline yet).
 * Each call ends with a device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Norm#bytes} per call, the least traffic:
 * batch norm forward 8|x| (read x, write y), backward 12|x| (read x and dy, write dx); LRN forward 12|x|
 * (read x, write the scale and y), backward 20|x| (read x, y, the scale and dy, write dx); divided by the
 * time (GB/s beside the ms).
 */
public class NormalizationBenchmark extends OpBenchmark {
    private static final float MOMENTUM = 0.1f;
    private static final float EPS = 1e-5f;

    @Param({"alexnet/norm1"})
    public String shape;

    private final LrnSpec lrn = LrnSpec.alexNet();
    private Tensor x;
    private Tensor y;
    private Tensor dy;
    private Tensor dx;
    private Tensor scale;
    private Tensor gamma;
    private Tensor beta;
    private Tensor runningMean;
    private Tensor runningVar;
    private Tensor saveMean;
    private Tensor saveInvStd;
    private Tensor dgamma;
    private Tensor dbeta;

    @Override
    protected void setup(String method) {
        KernelWorkloads.Norm n = tiny ? KernelWorkloads.norm(shape).tiny() : KernelWorkloads.norm(shape);
        Shape s = n.shape();
        Shape c = Shape.of(n.c());
        x = random(s, 1);
        y = zeros(s);
        dy = random(s, 2);
        dx = zeros(s);
        if (method.startsWith("lrn")) {
            scale = zeros(s);
            backend.lrnForward(x, lrn, scale, y);
        } else {
            gamma = random(c, 3);
            beta = random(c, 4);
            runningMean = zeros(c);
            runningVar = zeros(c);
            saveMean = zeros(c);
            saveInvStd = zeros(c);
            dgamma = zeros(c);
            dbeta = zeros(c);
            backend.batchNormForwardTraining(x, gamma, beta, MOMENTUM, EPS, runningMean, runningVar, saveMean,
                    saveInvStd, y);
        }
    }

    @Benchmark
    public void batchNormForward(Skips skips) {
        measure(skips, () -> {
            backend.batchNormForwardTraining(x, gamma, beta, MOMENTUM, EPS, runningMean, runningVar, saveMean,
                    saveInvStd, y);
        });
    }

    @Benchmark
    public void batchNormBackward(Skips skips) {
        measure(skips, () -> backend.batchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta));
    }

    @Benchmark
    public void lrnForward(Skips skips) {
        measure(skips, () -> backend.lrnForward(x, lrn, scale, y));
    }

    @Benchmark
    public void lrnBackward(Skips skips) {
        measure(skips, () -> backend.lrnBackward(x, y, scale, dy, lrn, dx));
    }
}
