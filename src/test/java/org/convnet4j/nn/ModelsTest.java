package org.convnet4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.models.Models;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The models' shapes, and reproducibility of training from a seed. */
class ModelsTest {

    private static Shape shapeAfter(Sequential net, Shape input, String layer) {
        List<Shape> shapes = net.outputShapes(input);
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i).name().equals(layer)) {
                return shapes.get(i);
            }
        }
        throw new AssertionError("no layer " + layer);
    }

    @Test
    void namesAndInputShapes() {
        assertEquals(List.of("lenet5", "alexnet", "caffenet", "alexnet-owt", "vgg11", "vgg16", "resnet18", "resnet34", "resnet20",
                "googlenet"), Models.names());
        assertEquals(Shape.of(1, 28, 28), Models.inputShape("resnet20"));
        assertEquals(Shape.of(3, 224, 224), Models.inputShape("resnet18"));
        assertEquals(Shape.of(3, 224, 224), Models.inputShape("googlenet"));
        assertEquals(Shape.of(1, 28, 28), Models.inputShape("lenet5"));
        assertEquals(Shape.of(3, 227, 227), Models.inputShape("alexnet"));
        assertEquals(Shape.of(3, 227, 227), Models.inputShape("caffenet"));
        assertEquals(Shape.of(3, 224, 224), Models.inputShape("alexnet-owt"));
        assertEquals(Shape.of(3, 224, 224), Models.inputShape("vgg16"));
        assertThrows(IllegalArgumentException.class, () -> Models.create("vgg19", 10));
        assertThrows(IllegalArgumentException.class, () -> Models.create("vgg11", 0));
        assertThrows(IllegalArgumentException.class, () -> Models.create("lenet5", 0));
    }

    @Test
    void leNet5Shapes() {
        try (Sequential net = (Sequential) Models.create("lenet5", 10)) {
            Shape in = Shape.of(2, 1, 28, 28);
            assertEquals(Shape.of(2, 6, 28, 28), shapeAfter(net, in, "conv1"));
            assertEquals(Shape.of(2, 6, 14, 14), shapeAfter(net, in, "pool1"));
            assertEquals(Shape.of(2, 16, 10, 10), shapeAfter(net, in, "conv2"));
            assertEquals(Shape.of(2, 16, 5, 5), shapeAfter(net, in, "pool2"));
            assertEquals(Shape.of(2, 120), shapeAfter(net, in, "fc1"));
            assertEquals(Shape.of(2, 84), shapeAfter(net, in, "fc2"));
            assertEquals(Shape.of(2, 10), net.outputShape(in));
            assertEquals(11, net.layers().size());
        }
    }

    @Test
    void alexNetShapes() {
        try (Sequential net = (Sequential) Models.create("alexnet", 1000)) {
            Shape in = Shape.of(1, 3, 227, 227);
            assertEquals(Shape.of(1, 96, 55, 55), shapeAfter(net, in, "conv1"));
            assertEquals(Shape.of(1, 96, 55, 55), shapeAfter(net, in, "norm1"));
            assertEquals(Shape.of(1, 96, 27, 27), shapeAfter(net, in, "pool1"));
            assertEquals(Shape.of(1, 256, 27, 27), shapeAfter(net, in, "conv2"));
            assertEquals(Shape.of(1, 256, 13, 13), shapeAfter(net, in, "pool2"));
            assertEquals(Shape.of(1, 384, 13, 13), shapeAfter(net, in, "conv3"));
            assertEquals(Shape.of(1, 384, 13, 13), shapeAfter(net, in, "conv4"));
            assertEquals(Shape.of(1, 256, 13, 13), shapeAfter(net, in, "conv5"));
            assertEquals(Shape.of(1, 256, 6, 6), shapeAfter(net, in, "pool5"));
            assertEquals(Shape.of(1, 4096), shapeAfter(net, in, "fc6"));
            assertEquals(Shape.of(1, 4096), shapeAfter(net, in, "fc7"));
            assertEquals(Shape.of(1, 1000), net.outputShape(in));
            // 224x224 does not fit the original's 11x11 stride-4 conv1 exactly
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.outputShape(Shape.of(1, 3, 224, 224)));
            assertTrue(e.getMessage().contains("conv1"), e.getMessage());
        }
    }

    /** CaffeNet: pooling before LRN, conv2/4/5 in 2 groups, whose weights see half the input channels. */
    @Test
    void caffeNetShapesGroupsAndLayerOrder() {
        try (CpuBackend backend = new CpuBackend(1); Sequential net = (Sequential) Models.create("caffenet", 10)) {
            Shape in = Shape.of(1, 3, 227, 227);
            assertEquals(Shape.of(1, 96, 55, 55), shapeAfter(net, in, "conv1"));
            assertEquals(Shape.of(1, 96, 27, 27), shapeAfter(net, in, "pool1"));
            assertEquals(Shape.of(1, 96, 27, 27), shapeAfter(net, in, "norm1"));
            assertEquals(Shape.of(1, 256, 27, 27), shapeAfter(net, in, "conv2"));
            assertEquals(Shape.of(1, 256, 13, 13), shapeAfter(net, in, "norm2"));
            assertEquals(Shape.of(1, 256, 13, 13), shapeAfter(net, in, "conv5"));
            assertEquals(Shape.of(1, 10), net.outputShape(in));
            assertEquals(List.of("conv1", "relu1", "pool1", "norm1", "conv2", "relu2", "pool2", "norm2"),
                    net.layers().stream().limit(8).map(Layer::name).toList(), "Caffe's CaffeNet pools, then normalizes");
            assertEquals(List.of(1, 2, 1, 2, 2), net.layers().stream().filter(l -> l instanceof Conv2d)
                    .map(l -> ((Conv2d) l).spec().groups()).toList());
            net.initialize(backend, in, 1L);
            assertEquals(List.of(Shape.of(96, 3, 11, 11), Shape.of(256, 48, 5, 5), Shape.of(384, 256, 3, 3),
                    Shape.of(384, 192, 3, 3), Shape.of(256, 192, 3, 3)), net.parameters().stream()
                    .filter(p -> p.name().startsWith("conv") && p.name().endsWith(".W")).map(Parameter::shape).toList());
        }
    }

    @Test
    void alexNetOneWeirdTrickShapes() {
        try (Sequential net = (Sequential) Models.create("alexnet-owt", 1000)) {
            Shape in = Shape.of(1, 3, 224, 224);
            assertEquals(Shape.of(1, 64, 55, 55), shapeAfter(net, in, "conv1"));
            assertEquals(Shape.of(1, 64, 27, 27), shapeAfter(net, in, "pool1"));
            assertEquals(Shape.of(1, 192, 27, 27), shapeAfter(net, in, "conv2"));
            assertEquals(Shape.of(1, 192, 13, 13), shapeAfter(net, in, "pool2"));
            assertEquals(Shape.of(1, 384, 13, 13), shapeAfter(net, in, "conv3"));
            assertEquals(Shape.of(1, 256, 13, 13), shapeAfter(net, in, "conv4"));
            assertEquals(Shape.of(1, 256, 13, 13), shapeAfter(net, in, "conv5"));
            assertEquals(Shape.of(1, 256, 6, 6), shapeAfter(net, in, "pool5"));
            assertEquals(Shape.of(1, 1000), net.outputShape(in));
        }
    }

    @Test
    void leNet5ParameterCount() {
        // conv1 6*25+6, conv2 16*150+16, fc1 120*400+120, fc2 84*120+84, fc3 10*84+10
        try (CpuBackend backend = new CpuBackend(1); Sequential net = (Sequential) Models.create("lenet5", 10)) {
            net.initialize(backend, Shape.of(1, 1, 28, 28), 1L);
            assertEquals(156 + 2416 + 48120 + 10164 + 850, net.parameterCount());
            assertEquals(10, net.parameters().size());
            String summary = net.summary(Shape.of(1, 1, 28, 28));
            System.out.print(summary);
            assertTrue(summary.contains("[1, 16, 5, 5]") && summary.contains("61,706"), summary);
        }
    }

    /**
     * A checkpoint stores parameters by name ("layer.W"), and the layer names of the models are part of that
     * format: checkpoints written before pooling became one layer (Pool2d) must still load. Pooling layers
     * have no parameters, so the names are the conv and fc layers' own, in the model's order.
     */
    @Test
    void parameterNamesAreTheCheckpointKeys() {
        try (CpuBackend backend = new CpuBackend(1); Sequential lenet = (Sequential) Models.create("lenet5", 10);
             Sequential alexnet = (Sequential) Models.create("alexnet", 10)) {
            lenet.initialize(backend, Shape.of(1, 1, 28, 28), 1L);
            assertEquals(List.of("conv1.W", "conv1.b", "conv2.W", "conv2.b", "fc1.W", "fc1.b", "fc2.W", "fc2.b",
                    "fc3.W", "fc3.b"), lenet.parameters().stream().map(Parameter::name).toList());
            assertEquals(List.of("conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "fc1", "relu3", "fc2", "relu4",
                    "fc3"), lenet.layers().stream().map(Layer::name).toList());
            assertEquals(List.of("pool1", "pool2", "pool5"), alexnet.layers().stream()
                    .filter(l -> l instanceof Pool2d p && p.mode() == Pool2d.Mode.MAX).map(Layer::name).toList());
        }
    }

    /** Three training steps of a small net with dropout, from one seed, twice: bit-identical parameters. */
    @Test
    void sameSeedGivesBitIdenticalParametersAfterThreeSteps() {
        List<float[]> first = trainThreeSteps(123L);
        List<float[]> second = trainThreeSteps(123L);
        assertEquals(first.size(), second.size());
        for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(first.get(i), second.get(i), "parameter " + i);
        }
        List<float[]> other = trainThreeSteps(124L);
        assertNotEquals(java.util.Arrays.toString(first.get(0)), java.util.Arrays.toString(other.get(0)),
                "another seed gives other weights");
    }

    private static List<float[]> trainThreeSteps(long seed) {
        Shape in = Shape.of(4, 1, 28, 28);
        Random data = new Random(7);
        float[] xs = new float[in.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = data.nextFloat();
        }
        try (CpuBackend backend = new CpuBackend(2);
             Sequential net = Sequential.of("lenet-dropout",
                     Conv2d.builder().name("conv1").filters(6).kernel(5).pad(2).build(),
                     ActivationLayer.relu("relu1"),
                     Pool2d.max("pool1", 2, 2),
                     Dropout.of("drop1", 0.5f),
                     Linear.builder().name("fc1").units(10).build());
             Tensor x = backend.tensor(in, xs);
             Tensor y = backend.intTensor(Shape.of(4), new int[] {1, 7, 3, 3});
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer opt = Optimizers.create("adam", backend, 1e-3f, 5e-4f)) {
            net.initialize(backend, in, seed);
            for (int step = 0; step < 3; step++) {
                net.zeroGrad();
                loss.forward(net.forward(x, true), y);
                net.backward(loss.backward());
                opt.step(net.parameters());
            }
            List<float[]> values = new ArrayList<>();
            for (Parameter p : net.parameters()) {
                values.add(backend.toFloatArray(p.value()));
            }
            return values;
        }
    }

    /**
     * Trainable parameters from the layers' input and output shapes, without initializing: a 3x3 convolution
     * [n, c, h, w] -> [n, f, ., .] has f*c*9 + f, a fully connected layer [n, a] -> [n, b] has b*a + b.
     */
    private static long vggParameters(Sequential net, Shape input) {
        List<Shape> shapes = net.outputShapes(input);
        long total = 0;
        for (int i = 0; i < shapes.size(); i++) {
            Shape before = i == 0 ? input : shapes.get(i - 1);
            Shape after = shapes.get(i);
            if (net.layers().get(i) instanceof Conv2d) {
                total += (long) after.dim(1) * before.dim(1) * 9 + after.dim(1);
            } else if (net.layers().get(i) instanceof Linear) {
                total += (long) after.dim(1) * (before.size() / before.dim(0)) + after.dim(1);
            }
        }
        return total;
    }

    /**
     * VGG-11 and VGG-16 at 224x224 with 1000 classes: the shapes after each block and the parameter counts
     * torchvision's vgg11 and vgg16 have (132,863,336 and 138,357,544); LeNet-5's count the same way agrees
     * with its initialized count.
     */
    @Test
    void vggShapesAndParameterCounts() {
        Shape in = Shape.of(1, 3, 224, 224);
        try (Sequential vgg11 = (Sequential) Models.create("vgg11", 1000);
             Sequential vgg16 = (Sequential) Models.create("vgg16", 1000)) {
            assertEquals(Shape.of(1, 64, 224, 224), shapeAfter(vgg16, in, "conv1_2"));
            assertEquals(Shape.of(1, 64, 112, 112), shapeAfter(vgg16, in, "pool1"));
            assertEquals(Shape.of(1, 256, 56, 56), shapeAfter(vgg16, in, "conv3_3"));
            assertEquals(Shape.of(1, 512, 7, 7), shapeAfter(vgg16, in, "pool5"));
            assertEquals(Shape.of(1, 4096), shapeAfter(vgg16, in, "fc6"));
            assertEquals(Shape.of(1, 512, 7, 7), shapeAfter(vgg11, in, "pool5"));
            assertEquals(Shape.of(1, 128, 112, 112), shapeAfter(vgg11, in, "conv2_1"));
            assertEquals(8, vgg11.layers().stream().filter(l -> l instanceof Conv2d).count());
            assertEquals(13, vgg16.layers().stream().filter(l -> l instanceof Conv2d).count());
            assertEquals(132_863_336L, vggParameters(vgg11, in));
            assertEquals(138_357_544L, vggParameters(vgg16, in));
        }
        try (CpuBackend backend = new CpuBackend(1); Sequential lenet = (Sequential) Models.create("lenet5", 10)) {
            lenet.initialize(backend, Shape.of(1, 1, 28, 28), 1L);
            assertEquals(lenet.parameterCount() - 6 * 25 * 1 - 16 * 25 * 6 + 6 * 9 + 16 * 9 * 6,
                    vggParameters(lenet, Shape.of(1, 1, 28, 28)), "the count assumes 3x3 filters");
        }
    }

    /**
     * Trains model on the fixed batch (x, labels) for steps steps on the CPU and checks that the loss falls to
     * under half its first value.
     */
    private static void memorizes(String model, int classes, Shape in, float[] xs, int[] labels, String optimizer,
                                  float lr, int steps, boolean training) {
        try (CpuBackend backend = new CpuBackend(2); Network net = Models.create(model, classes);
             Tensor x = backend.tensor(in, xs); Tensor y = backend.intTensor(Shape.of(labels.length), labels);
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer opt = Optimizers.create(optimizer, backend, lr, 0f)) {
            net.initialize(backend, in, 1L);
            float first = 0;
            float last = 0;
            for (int step = 0; step < steps; step++) {
                net.zeroGrad();
                last = loss.forward(net.forward(x, training), y);
                first = step == 0 ? last : first;
                net.backward(loss.backward(), false);
                opt.step(net.parameters());
            }
            assertTrue(last < 0.5f * first, model + " memorizes " + labels.length + " images: loss " + first + " -> "
                    + last);
        }
    }

    /**
     * VGG-11 trains: on 32x32 inputs (the five pools leave 1x1, fc6 takes 512), it memorizes a small batch
     * (dropout off, Adam).
     */
    @Test
    void vgg11TrainsOnAFixedBatch() {
        Shape in = Shape.of(2, 3, 32, 32);
        Random data = new Random(5);
        float[] xs = new float[in.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = data.nextFloat();
        }
        memorizes("vgg11", 2, in, xs, new int[] {0, 1}, "adam", 1e-4f, 8, false);
    }

    @Test
    void leNet5TrainsOnAFixedBatch() {
        Shape in = Shape.of(8, 1, 28, 28);
        Random data = new Random(3);
        float[] xs = new float[in.size()];
        int[] ys = new int[8];
        for (int n = 0; n < 8; n++) {
            ys[n] = n % 10;
            for (int i = 0; i < 784; i++) {
                xs[n * 784 + i] = data.nextFloat() < 0.2f ? 1f : 0f;
            }
        }
        memorizes("lenet5", 10, in, xs, ys, "momentum", 0.01f, 20, true);
    }
}
