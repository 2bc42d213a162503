package org.convnet4j.nativetest;

import java.util.SplittableRandom;

import org.convnet4j.backend.Backend;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Sequential;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * LeNet-5 training on one backend, from a fixed seed, on synthetic batches that are the same on every
 * backend: {@link #batch(int)} gives 64 noisy 28x28 images whose label is drawn as a bright band at a
 * label-dependent height, so that the loss falls within a few steps.
 */
final class LeNetRun implements AutoCloseable {
    static final int BATCH = 64;
    static final long SEED = 5;
    static final float LR = 0.01f;

    /** One batch: images [BATCH, 1, 28, 28] and labels [BATCH]. */
    record Batch(float[] images, int[] labels) {
    }

    final Backend backend;
    final Sequential net;
    private final SoftmaxCrossEntropyLoss loss;
    private final Optimizer optimizer;
    private final Tensor x;
    private final Tensor labels;

    LeNetRun(Backend backend) {
        this.backend = backend;
        Shape in = Models.batchInputShape("lenet5", BATCH);
        this.net = (Sequential) Models.create("lenet5", 10);
        net.initialize(backend, in, SEED);
        this.loss = new SoftmaxCrossEntropyLoss(backend);
        this.optimizer = Optimizers.create("momentum", backend, LR, 0f);
        this.x = backend.allocate(in);
        this.labels = backend.allocate(Shape.of(BATCH), DataType.INT32);
    }

    /** The synthetic batch number i (deterministic). */
    static Batch batch(int i) {
        SplittableRandom r = new SplittableRandom(1000 + i);
        float[] images = new float[BATCH * 28 * 28];
        int[] y = new int[BATCH];
        for (int n = 0; n < BATCH; n++) {
            y[n] = r.nextInt(10);
            int band = 3 + 2 * y[n];
            for (int row = 0; row < 28; row++) {
                for (int col = 0; col < 28; col++) {
                    float noise = (float) (r.nextDouble() * 0.5);
                    boolean lit = row >= band && row < band + 2 && col >= 4 && col < 24;
                    images[(n * 28 + row) * 28 + col] = noise + (lit ? 0.4f : 0f);
                }
            }
        }
        return new Batch(images, y);
    }

    /** Zeroes the gradients, runs forward and backward on the batch and returns the loss (no update). */
    float forwardBackward(Batch b) {
        backend.upload(b.images(), x);
        backend.upload(b.labels(), labels);
        net.zeroGrad();
        float l = loss.forward(net.forward(x, true), labels);
        net.backward(loss.backward());
        return l;
    }

    /** A whole training step: forward, backward, optimizer update. Returns the loss before the update. */
    float step(Batch b) {
        float l = forwardBackward(b);
        optimizer.step(net.parameters());
        return l;
    }

    @Override
    public void close() {
        optimizer.close();
        loss.close();
        net.close();
        x.close();
        labels.close();
    }
}
