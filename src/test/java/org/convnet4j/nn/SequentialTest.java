package org.convnet4j.nn;

import static org.convnet4j.nn.NnTesting.randomTensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sequential's contract: shape checks at initialize, parameter naming, buffer reuse, close. */
class SequentialTest {
    private CpuBackend backend;

    @BeforeEach
    void start() {
        backend = new CpuBackend(2);
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private static Sequential small() {
        return Sequential.of("small",
                Conv2d.builder().name("conv1").filters(4).kernel(3).pad(1).build(),
                ActivationLayer.relu("relu1"),
                Pool2d.max("pool1", 2, 2),
                Linear.builder().name("fc1").units(3).build());
    }

    @Test
    void channelMismatchNamesTheLayerAndTheShapes() {
        try (Sequential net = Sequential.of("bad",
                Conv2d.builder().name("conv1").filters(6).kernel(3).build(),
                ActivationLayer.relu("relu1"),
                Conv2d.builder().name("conv2").inChannels(3).filters(8).kernel(3).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.initialize(backend, Shape.of(2, 1, 12, 12), 1L));
            String m = e.getMessage();
            assertTrue(m.contains("conv2"), m);
            assertTrue(m.contains("[2, 6, 10, 10]"), m);
            assertTrue(m.contains("6 channels") && m.contains("expects 3"), m);
            assertTrue(m.contains("relu1"), "names where the input came from: " + m);
        }
    }

    @Test
    void linearFeatureMismatchAndBadConvGeometryAreRejected() {
        try (Sequential net = Sequential.of("bad",
                Conv2d.builder().name("conv1").filters(2).kernel(3).build(),
                Linear.builder().name("fc").inFeatures(99).units(3).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.initialize(backend, Shape.of(1, 1, 5, 5), 1L));
            assertTrue(e.getMessage().contains("fc") && e.getMessage().contains("[1, 2, 3, 3]")
                    && e.getMessage().contains("99"), e.getMessage());
        }
        try (Sequential net = Sequential.of("bad", Conv2d.builder().name("conv1").filters(2).kernel(3).stride(2).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.outputShape(Shape.of(1, 1, 6, 6)));
            assertTrue(e.getMessage().contains("conv1") && e.getMessage().contains("not a whole number"), e.getMessage());
        }
    }

    @Test
    void wrongInputShapeAtForwardIsRejected() {
        try (Sequential net = small(); Tensor x = backend.allocate(Shape.of(2, 2, 6, 6))) {
            net.initialize(backend, Shape.of(2, 1, 6, 6), 1L);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.forward(x, true));
            assertTrue(e.getMessage().contains("conv1") && e.getMessage().contains("[2, 2, 6, 6]")
                    && e.getMessage().contains("[N, 1, 6, 6]"), e.getMessage());
        }
    }

    @Test
    void builderValidation() {
        assertThrows(IllegalArgumentException.class, () -> Conv2d.builder().filters(3).kernel(3).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2d.builder().name("c").kernel(3).build());
        assertThrows(IllegalArgumentException.class, () -> Conv2d.builder().name("c").filters(2).kernel(3).stride(0).build());
        assertThrows(IllegalArgumentException.class, () -> Pool2d.builder().name("p").mode(Pool2d.Mode.MAX).kernel(2).pad(2).build());
        assertThrows(IllegalArgumentException.class, () -> Dropout.of("d", 1f));
        assertThrows(IllegalArgumentException.class, () -> Linear.builder().name("fc").build());
        assertThrows(IllegalArgumentException.class, () -> Sequential.of("dup",
                ActivationLayer.relu("a"), ActivationLayer.relu("a")));
    }

    @Test
    void parametersAreNamedAfterTheirLayersInOrder() {
        try (Sequential net = small()) {
            net.initialize(backend, Shape.of(1, 1, 6, 6), 1L);
            List<String> names = net.parameters().stream().map(Parameter::name).toList();
            assertEquals(List.of("conv1.W", "conv1.b", "fc1.W", "fc1.b"), names);
            assertEquals(Shape.of(4, 1, 3, 3), net.parameters().get(0).shape());
            assertEquals(Shape.of(3, 36), net.parameters().get(2).shape());
            assertEquals(36 + 4 + 108 + 3, net.parameterCount());
            assertSame(backend, net.backend());
        }
    }

    @Test
    void buffersAreReusedAndReallocatedOnlyWhenTheBatchChanges() {
        try (Sequential net = small(); Tensor x2 = randomTensor(backend, Shape.of(2, 1, 6, 6), 1);
             Tensor x3 = randomTensor(backend, Shape.of(3, 1, 6, 6), 2)) {
            net.initialize(backend, Shape.of(2, 1, 6, 6), 1L);
            Tensor y1 = net.forward(x2, true);
            Tensor dx1 = net.backward(y1);
            Tensor y2 = net.forward(x2, true);
            Tensor dx2 = net.backward(y2);
            assertSame(y1, y2);
            assertSame(dx1, dx2);
            Tensor y3 = net.forward(x3, true);
            assertNotSame(y1, y3);
            assertEquals(Shape.of(3, 3), y3.shape());
            assertEquals(Shape.of(3, 1, 6, 6), net.backward(y3).shape());
        }
    }

    @Test
    void aTrainingStepAllocatesNothingAfterTheFirst() {
        Shape in = Shape.of(4, 1, 6, 6);
        try (Sequential net = small(); Tensor x = randomTensor(backend, in, 3);
             Tensor labels = backend.intTensor(Shape.of(4), new int[] {0, 1, 2, 1});
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer opt = Optimizers.create("adam", backend, 1e-3f, 1e-4f)) {
            net.initialize(backend, in, 3L);
            long[] allocations = new long[3];
            for (int step = 0; step < 3; step++) {
                net.zeroGrad();
                loss.forward(net.forward(x, true), labels);
                net.backward(loss.backward());
                opt.step(net.parameters());
                allocations[step] = backend.memoryStats().allocations();
            }
            assertEquals(allocations[0], allocations[1], "second step allocated");
            assertEquals(allocations[1], allocations[2], "third step allocated");
        }
    }

    /** Sets one value of t (index 0) to v. */
    private void poison(Tensor t, float v) {
        float[] values = backend.toFloatArray(t);
        values[0] = v;
        backend.upload(values, t);
    }

    @Test
    void theFirstLayerWithANonFiniteOutputIsNamedAndNotTheLayersAfterIt() {
        try (Sequential net = small(); Tensor x = randomTensor(backend, Shape.of(2, 1, 6, 6), 4)) {
            net.initialize(backend, Shape.of(2, 1, 6, 6), 4L);
            assertTrue(net.firstNonFiniteOutput(x, true).isEmpty(), "all finite");

            poison(net.layer("fc1").parameters().get(0).value(), Float.NaN);
            assertSame(net.layer("fc1"), net.firstNonFiniteOutput(x, true).orElseThrow(),
                    "conv1, relu1 and pool1 stay finite; fc1's NaN weight spoils its output");

            float[] huge = new float[net.layer("conv1").parameters().get(0).shape().size()];
            java.util.Arrays.fill(huge, 3e38f);
            backend.upload(huge, net.layer("conv1").parameters().get(0).value());
            assertSame(net.layer("conv1"), net.firstNonFiniteOutput(x, true).orElseThrow(),
                    "sums of 3e38 overflow to infinity in conv1 already");
        }
    }

    @Test
    void theFirstNonFiniteGradientIsCountedFromTheLastLayer() {
        try (Sequential net = small()) {
            net.initialize(backend, Shape.of(2, 1, 6, 6), 4L);
            net.zeroGrad();
            assertTrue(net.firstNonFiniteGradient().isEmpty());
            Parameter convW = net.layer("conv1").parameters().get(0);
            poison(convW.grad(), Float.NEGATIVE_INFINITY);
            assertSame(convW, net.firstNonFiniteGradient().orElseThrow());
            Parameter fcW = net.layer("fc1").parameters().get(0);
            poison(fcW.grad(), Float.NaN);
            assertSame(fcW, net.firstNonFiniteGradient().orElseThrow(), "a backward pass meets fc1 before conv1");
        }
    }

    @Test
    void zeroGradClearsAccumulatedGradients() {
        try (Sequential net = small(); Tensor x = randomTensor(backend, Shape.of(2, 1, 6, 6), 4)) {
            net.initialize(backend, Shape.of(2, 1, 6, 6), 4L);
            Tensor y = net.forward(x, true);
            net.backward(y);
            float[] once = backend.toFloatArray(net.parameters().get(0).grad());
            net.backward(y);
            float[] twice = backend.toFloatArray(net.parameters().get(0).grad());
            for (int i = 0; i < once.length; i++) {
                assertEquals(2 * once[i], twice[i], 1e-5 * (1 + Math.abs(once[i])), "gradients accumulate");
            }
            net.zeroGrad();
            for (Parameter p : net.parameters()) {
                for (float v : backend.toFloatArray(p.grad())) {
                    assertEquals(0f, v);
                }
            }
        }
    }

    @Test
    void useAfterCloseThrowsIllegalState() {
        Sequential net = small();
        net.initialize(backend, Shape.of(1, 1, 6, 6), 1L);
        Layer conv = net.layers().get(0);
        try (Tensor x = backend.allocate(Shape.of(1, 1, 6, 6))) {
            net.close();
            net.close(); // idempotent
            assertThrows(IllegalStateException.class, () -> net.forward(x, false));
            assertThrows(IllegalStateException.class, () -> conv.forward(x, false));
            assertThrows(IllegalStateException.class, net::parameters);
            assertThrows(IllegalStateException.class, net::zeroGrad);
        }
        SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
        loss.close();
        assertThrows(IllegalStateException.class, loss::backward);
        Optimizer opt = Optimizers.create("momentum", backend, 0.1f, 0f);
        opt.close();
        assertThrows(IllegalStateException.class, () -> opt.step(List.of()));
    }

    @Test
    void useBeforeInitializeAndBackwardBeforeForwardThrowIllegalState() {
        try (Sequential net = small(); Tensor x = backend.allocate(Shape.of(1, 1, 6, 6))) {
            assertThrows(IllegalStateException.class, () -> net.forward(x, true));
            assertThrows(IllegalStateException.class, net::backend);
            net.initialize(backend, Shape.of(1, 1, 6, 6), 1L);
            assertThrows(IllegalStateException.class, () -> net.backward(backend.allocate(Shape.of(1, 3))));
            assertThrows(IllegalStateException.class, () -> net.initialize(backend, Shape.of(1, 1, 6, 6), 1L));
        }
    }

    /** The course material's worked examples, through the layers. */
    @Test
    void workedExamples() {
        Conv2d conv = Conv2d.builder().name("conv").filters(1).kernel(3).pad(1).bias(false).build();
        Pool2d pool = Pool2d.max("pool", 2, 2);
        try (conv; pool;
             Tensor x = backend.tensor(Shape.of(1, 1, 4, 4), new float[] {1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1});
             Tensor p = backend.tensor(Shape.of(1, 1, 4, 4), new float[] {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4})) {
            conv.initialize(backend, x.shape(), new Random(0));
            backend.upload(new float[] {2, 0, 1, 0, 1, 2, 1, 0, 2}, conv.weight().value());
            assertArrayEquals(new float[] {7, 12, 10, 2, 4, 15, 16, 10, 10, 6, 15, 6, 8, 10, 4, 3},
                    backend.toFloatArray(conv.forward(x, false)));
            pool.initialize(backend, p.shape(), new Random(0));
            assertArrayEquals(new float[] {6, 8, 3, 4}, backend.toFloatArray(pool.forward(p, false)));
            assertArrayEquals(new int[] {5, 7, 8, 15}, backend.toIntArray(pool.switches()));
        }
    }

    @Test
    void dropoutIsIdentityInEvaluationAndReplaysMasksByCount() {
        Shape s = Shape.of(2, 50);
        try (Dropout d = Dropout.builder().name("d").probability(0.5f).seed(9).build();
             Tensor x = randomTensor(backend, s, 5)) {
            d.initialize(backend, s, new Random(0));
            assertSame(x, d.forward(x, false));
            float[] first = backend.toFloatArray(d.forward(x, true));
            float[] second = backend.toFloatArray(d.forward(x, true));
            assertTrue(!java.util.Arrays.equals(first, second), "a fresh mask per forward");
            d.setForwardCount(0);
            assertArrayEquals(first, backend.toFloatArray(d.forward(x, true)));
            assertEquals(1, d.forwardCount());
            float[] xs = backend.toFloatArray(x);
            int dropped = 0;
            for (int i = 0; i < xs.length; i++) {
                if (first[i] == 0f) {
                    dropped++;
                } else {
                    assertEquals(2 * xs[i], first[i], 1e-6);
                }
            }
            assertTrue(dropped > 25 && dropped < 75, "about half dropped: " + dropped);
        }
    }

    @Test
    void batchNormEvaluationUsesRunningStatistics() {
        Shape s = Shape.of(8, 3);
        try (BatchNorm bn = BatchNorm.builder().name("bn").momentum(1f).build(); Tensor x = randomTensor(backend, s, 6)) {
            bn.initialize(backend, s, new Random(0));
            float[] train = backend.toFloatArray(bn.forward(x, true)).clone();
            float[] eval = backend.toFloatArray(bn.forward(x, false));
            // momentum 1: running = batch statistics (variance unbiased), so eval differs only by n/(n-1)
            for (int i = 0; i < train.length; i++) {
                assertEquals(train[i] * Math.sqrt(7.0 / 8.0), eval[i], 1e-3, "element " + i);
            }
            assertThrows(IllegalStateException.class, () -> bn.backward(x));
        }
    }
    /**
     * A Backend that counts calls by method name (and linearBackward and conv2dBackward calls with dx == null),
     * then delegates.
     */
    private static final class CountingBackend {
        final Map<String, Integer> calls = new HashMap<>();
        int linearWithoutDx;
        int convWithoutDx;
        final Backend proxy;

        CountingBackend(Backend target) {
            proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (self, method, args) -> {
                        calls.merge(method.getName(), 1, Integer::sum);
                        if (method.getName().equals("linearBackward") && args[3] == null) {
                            linearWithoutDx++;
                        }
                        if (method.getName().equals("conv2dBackward") && args[4] == null) {
                            convWithoutDx++;
                        }
                        try {
                            return method.invoke(target, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        int count(String method) {
            return calls.getOrDefault(method, 0);
        }
    }

    private static Sequential leadingReluNet() {
        return Sequential.of("lead",
                ActivationLayer.relu("relu0"),
                Conv2d.builder().name("conv1").filters(3).kernel(3).pad(1).build(),
                ActivationLayer.relu("relu1"),
                Pool2d.max("pool1", 2, 2),
                Linear.builder().name("fc1").units(4).build());
    }

    @Test
    void trainingBackwardSkipsTheInputGradientButNotTheParameterGradients() {
        Shape in = Shape.of(3, 2, 6, 6);
        CountingBackend counting = new CountingBackend(backend);
        try (Sequential full = leadingReluNet(); Sequential training = leadingReluNet();
             Tensor x = randomTensor(backend, in, 11)) {
            full.initialize(backend, in, 5L);
            training.initialize(counting.proxy, in, 5L);
            assertEquals(1, training.firstTrainableLayer(), "relu0 has no parameters, conv1 is first");

            Tensor y = full.forward(x, true);
            Tensor dx = full.backward(y);
            assertEquals(in, dx.shape());
            counting.calls.clear();
            assertNull(training.backward(training.forward(x, true), false));

            assertEquals(0, counting.count("conv2dBackwardData"), "conv1 computes no dx");
            assertEquals(1, counting.count("conv2dBackward"), "a layer's backward passes are one call");
            assertEquals(1, counting.convWithoutDx, "conv1 computes no dx");
            assertEquals(1, counting.count("activationBackward"), "relu1 only: relu0 is before the first trainable layer");
            assertEquals(1, counting.count("linearBackward"));
            assertEquals(0, counting.linearWithoutDx, "fc1 is not first: its dx feeds pool1");
            List<Parameter> want = full.parameters();
            List<Parameter> got = training.parameters();
            for (int i = 0; i < want.size(); i++) {
                assertArrayEquals(backend.toFloatArray(want.get(i).grad()), backend.toFloatArray(got.get(i).grad()),
                        want.get(i).name() + ": same gradient with and without the input gradient");
            }
        }
    }

    @Test
    void aLinearFirstLayerSkipsItsDxProduct() {
        Shape in = Shape.of(2, 5);
        CountingBackend counting = new CountingBackend(backend);
        try (Sequential net = Sequential.of("mlp", Linear.builder().name("fc1").units(4).build(),
                ActivationLayer.tanh("tanh1"), Linear.builder().name("fc2").units(3).build());
             Tensor x = randomTensor(backend, in, 12)) {
            net.initialize(counting.proxy, in, 6L);
            assertNull(net.backward(net.forward(x, true), false));
            assertEquals(2, counting.count("linearBackward"));
            assertEquals(1, counting.linearWithoutDx, "fc1, the first layer, computes no dx");
            assertEquals(Shape.of(2, 5), net.backward(net.forward(x, true)).shape(), "backward(dy) still gives dx");
        }
    }
}
