package org.convnet4j.models;

import org.convnet4j.nn.ActivationLayer;
import org.convnet4j.nn.Conv2d;
import org.convnet4j.nn.Linear;
import org.convnet4j.nn.Pool2d;
import org.convnet4j.nn.Sequential;
import org.convnet4j.tensor.Shape;

/**
 * LeNet-5 for 28x28 MNIST digits, with ReLU and max pooling (the modern variant):
 * <pre>
 *   input   [N, 1, 28, 28]
 *   conv1   6 filters 5x5, pad 2   -> [N, 6, 28, 28],  relu1
 *   pool1   max 2x2, stride 2      -> [N, 6, 14, 14]
 *   conv2   16 filters 5x5         -> [N, 16, 10, 10], relu2
 *   pool2   max 2x2, stride 2      -> [N, 16, 5, 5]
 *   fc1     400 -> 120, relu3
 *   fc2     120 -> 84,  relu4
 *   fc3     84 -> numClasses (logits)
 * </pre>
 * Weights He-initialized, biases zero.
 */
public final class LeNet5 {
    /** Per-item input shape [C, H, W]. */
    public static final Shape INPUT = Shape.of(1, 28, 28);

    private LeNet5() {
    }

    public static Sequential create(int numClasses) {
        Models.checkClasses("lenet5", numClasses);
        return Sequential.of("lenet5",
                Conv2d.builder().name("conv1").filters(6).kernel(5).pad(2).build(),
                ActivationLayer.relu("relu1"),
                Pool2d.max("pool1", 2, 2),
                Conv2d.builder().name("conv2").filters(16).kernel(5).build(),
                ActivationLayer.relu("relu2"),
                Pool2d.max("pool2", 2, 2),
                Linear.builder().name("fc1").units(120).build(),
                ActivationLayer.relu("relu3"),
                Linear.builder().name("fc2").units(84).build(),
                ActivationLayer.relu("relu4"),
                Linear.builder().name("fc3").units(numClasses).build());
    }
}
