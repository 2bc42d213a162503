package org.convnet4j.nn;

import static org.convnet4j.nn.NnTesting.assertGradientsOk;
import static org.convnet4j.nn.NnTesting.randomTensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The book's check: a tiny conv net on 1x10x10 inputs (conv, relu, pool, linear, softmax cross-entropy)
 * checked whole against numerical gradients.
 */
class TinyConvNetGradientTest {

    private static Sequential tinyNet(Layer... extra) {
        java.util.List<Layer> layers = new java.util.ArrayList<>(java.util.List.of(
                Conv2d.builder().name("conv1").filters(3).kernel(3).pad(1).build(),
                ActivationLayer.relu("relu1"),
                Pool2d.max("pool1", 2, 2),
                Linear.builder().name("fc1").units(4).build()));
        layers.addAll(java.util.List.of(extra));
        return new Sequential("tiny", layers);
    }

    @Test
    void wholeNetworkWithSoftmaxLoss() {
        Shape in = Shape.of(3, 1, 10, 10);
        try (CpuBackend backend = new CpuBackend(2); Sequential net = tinyNet();
             Tensor x = randomTensor(backend, in, 7);
             Tensor labels = backend.intTensor(Shape.of(3), new int[] {0, 3, 1})) {
            net.initialize(backend, in, 7L);
            assertEquals(Shape.of(3, 4), net.outputShape(in));
            GradientChecker.Report r = GradientChecker.defaults().checkWithLoss(backend, net, x, labels);
            System.out.println(r);
            assertGradientsOk(r);
            assertEquals(5, r.results().size(), "input, conv1.W, conv1.b, fc1.W, fc1.b: " + r);
            assertEquals(3 * 100, r.result("input").checked());
            assertEquals(4 * 75, r.result("fc1.W").checked());
        }
    }

    @Test
    void withBatchNormDropoutAndSampledElements() {
        Shape in = Shape.of(4, 1, 10, 10);
        try (CpuBackend backend = new CpuBackend(2);
             Sequential net = Sequential.of("tiny2",
                     Conv2d.builder().name("conv1").filters(4).kernel(4).stride(2).pad(1).build(),
                     BatchNorm.of("bn1"),
                     ActivationLayer.tanh("tanh1"),
                     Pool2d.avg("pool1", 2, 1),
                     new Flatten("flat"),
                     Dropout.of("drop", 0.25f),
                     Linear.builder().name("fc1").units(5).build(),
                     ActivationLayer.sigmoid("sig"),
                     Linear.builder().name("fc2").units(3).build());
             Tensor x = randomTensor(backend, in, 8);
             Tensor labels = backend.intTensor(Shape.of(4), new int[] {2, 0, 1, 2})) {
            net.initialize(backend, in, 8L);
            GradientChecker checker = GradientChecker.builder().maxElementsPerTensor(40).seed(3).build();
            GradientChecker.Report r = checker.checkWithLoss(backend, net, x, labels);
            System.out.println(r);
            assertGradientsOk(r);
            assertEquals(40, r.result("input").checked());
            assertEquals(40, r.result("conv1.W").checked());
            assertEquals(4, r.result("conv1.b").checked(), "small tensors are checked whole");
        }
    }
}
