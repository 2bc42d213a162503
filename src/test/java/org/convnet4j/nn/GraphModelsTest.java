package org.convnet4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.models.Models;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The graph models of the zoo: their trainable parameter counts against the papers' and torchvision's. */
class GraphModelsTest {

    /**
     * ResNet-18 and -34: torchvision's counts (the papers' 11.7 M and 21.8 M); GoogLeNet with the paper's 5x5
     * third branches and no auxiliary classifiers (torchvision's, with 3x3 there: 6,624,904); ResNet-20 on MNIST
     * with projection shortcuts (the paper's CIFAR network with zero-padding shortcuts: 0.27 M). CaffeNet (a
     * Sequential, here for its count): Caffe's bvlc_reference_caffenet, conv2/4/5 in 2 groups, 60,965,224 =
     * conv 34,944 + 307,456 + 885,120 + 663,936 + 442,624, fc 37,752,832 + 16,781,312 + 4,097,000.
     */
    @ParameterizedTest
    @CsvSource({"resnet18, 1000, 11689512, 1000", "resnet34, 1000, 21797672, 1000",
            "googlenet, 1000, 7005832, 1000", "resnet20, 10, 272186, 10", "caffenet, 1000, 60965224, 1000"})
    void parameterCountsAndOutputShapes(String model, int classes, long parameters, int outputs) {
        try (Backend b = new CpuBackend(1); Network net = Models.create(model, classes)) {
            Shape input = Models.batchInputShape(model, 2);
            assertEquals(Shape.of(2, outputs), net.outputShape(input));
            net.initialize(b, input, 1);
            assertEquals(parameters, net.parameterCount(), model);
            assertEquals(net.layers().size(), net.layerInputShapes(input).size());
        }
    }

    /** The registry's ResNet-20 runs a step on the CPU: finite logits, gradients in every parameter. */
    @ParameterizedTest
    @CsvSource("resnet20")
    void aTrainingStepReachesEveryParameter(String model) {
        try (Backend b = new CpuBackend(2); Network net = Models.create(model, 10);
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(b);
             Tensor x = NnTesting.randomTensor(b, Models.batchInputShape(model, 4), 3);
             Tensor labels = b.intTensor(Shape.of(4), NnTesting.labels(4, 4, 10))) {
            net.initialize(b, x.shape(), 2);
            net.zeroGrad();
            assertTrue(Float.isFinite(loss.forward(net.forward(x, true), labels)));
            net.backward(loss.backward(), false);
            for (Parameter p : net.parameters()) {
                if (p.isTrainable()) {
                    float[] g = b.toFloatArray(p.grad());
                    assertTrue(Collections.max(java.util.Arrays.asList(box(g))) != 0f
                            || Collections.min(java.util.Arrays.asList(box(g))) != 0f, p.name() + " got no gradient");
                }
            }
        }
    }

    private static Float[] box(float[] a) {
        Float[] r = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Math.abs(a[i]);
        }
        return r;
    }
}
