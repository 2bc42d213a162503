package org.convnet4j.nn;

import static org.convnet4j.nn.NnTesting.assertGradientsOk;
import static org.convnet4j.nn.NnTesting.randomTensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every layer's backward against central differences on the CPU backend, with odd shapes. */
class LayerGradientTest {
    private static CpuBackend backend;
    private static final GradientChecker CHECKER = GradientChecker.defaults();

    @BeforeAll
    static void start() {
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    /** Initializes layer for shape, checks it on a random input, closes everything. */
    private static GradientChecker.Report check(Layer layer, Shape shape, long seed) {
        try (layer; Tensor x = randomTensor(backend, shape, seed)) {
            layer.initialize(backend, shape, new Random(seed));
            GradientChecker.Report report = CHECKER.checkLayer(backend, layer, x);
            System.out.println(report);
            assertGradientsOk(report);
            return report;
        }
    }

    @Test
    void conv2dStride3Pad2NonSquare() {
        GradientChecker.Report r = check(Conv2d.builder().name("conv").filters(4).kernel(3, 2).stride(3).pad(2)
                .build(), Shape.of(2, 3, 8, 7), 1);
        assertEquals(2 * 3 * 8 * 7, r.result("input").checked());
        assertEquals(4 * 3 * 3 * 2, r.result("conv.W").checked());
        assertEquals(4, r.result("conv.b").checked());
    }

    @Test
    void conv2dOneByOneBatchOne() {
        check(Conv2d.builder().name("conv1x1").filters(5).kernel(1).build(), Shape.of(1, 3, 4, 5), 2);
    }

    @Test
    void conv2dDilatedWithoutBiasFloorRounding() {
        GradientChecker.Report r = check(Conv2d.builder().name("dil").filters(3).kernel(3).stride(2).dilation(2)
                .pad(1).bias(false).rounding(OutputRounding.FLOOR).build(), Shape.of(2, 2, 8, 9), 3);
        assertEquals(2, r.results().size(), "input and W only: " + r);
    }

    /** Two groups, strided, padded, dilated: 6 input channels, each of the 4 filters sees 3 of them. */
    @Test
    void conv2dTwoGroupsStridedDilated() {
        GradientChecker.Report r = check(Conv2d.builder().name("g2").filters(4).kernel(3, 2).stride(2, 1).pad(1, 2)
                .dilation(1, 2).groups(2).build(), Shape.of(2, 6, 7, 6), 11);
        assertEquals(2 * 6 * 7 * 6, r.result("input").checked());
        assertEquals(4 * 3 * 3 * 2, r.result("g2.W").checked());
    }

    /** Depthwise (groups = C), channel multiplier 2, 3x3 same. */
    @Test
    void conv2dDepthwise() {
        GradientChecker.Report r = check(Conv2d.builder().name("dw").filters(6).kernel(3).pad(1).groups(3).build(),
                Shape.of(2, 3, 5, 6), 12);
        assertEquals(6 * 3 * 3, r.result("dw.W").checked());
    }

    /** One group through the builder's groups(1): the ordinary layer, with its full weight shape. */
    @Test
    void conv2dOneGroupExplicit() {
        GradientChecker.Report r = check(Conv2d.builder().name("g1").filters(2).kernel(2).stride(2).groups(1).build(),
                Shape.of(1, 3, 6, 6), 13);
        assertEquals(2 * 3 * 2 * 2, r.result("g1.W").checked());
    }

    @Test
    void maxPool2x2() {
        check(Pool2d.max("pool", 2, 2), Shape.of(2, 3, 6, 4), 4);
    }

    @Test
    void maxPoolOverlapping3x3Stride2() {
        check(Pool2d.max("pool", 3, 2), Shape.of(2, 2, 7, 9), 5);
    }

    @Test
    void maxPoolPaddedNonSquareWindow() {
        check(Pool2d.builder().name("pool").mode(Pool2d.Mode.MAX).kernel(3, 2).stride(2, 1).pad(1, 1).build(), Shape.of(1, 2, 5, 6), 6);
    }

    @Test
    void avgPoolOverlappingPadded() {
        check(Pool2d.builder().name("avg").mode(Pool2d.Mode.AVG).kernel(3).stride(2).pad(1).build(), Shape.of(2, 2, 7, 7), 7);
    }

    @Test
    void relu() {
        check(ActivationLayer.relu("relu"), Shape.of(2, 3, 4, 5), 8);
    }

    @Test
    void reluPointsAtTheKinkAreTolerated() {
        ActivationLayer relu = ActivationLayer.relu("relu");
        Shape s = Shape.of(1, 8);
        float[] x = {0.5f, -0.5f, 2e-4f, -3e-4f, 1f, -1f, 5e-4f, 0.25f}; // three within h = 1e-3 of zero
        try (relu; Tensor t = backend.tensor(s, x)) {
            relu.initialize(backend, s, new Random(1));
            GradientChecker.Report r = CHECKER.checkLayer(backend, relu, t);
            assertTrue(r.passed(), r::toString);
            assertEquals(3, r.result("input").tolerated(), r::toString);
        }
    }

    @Test
    void sigmoid() {
        check(ActivationLayer.sigmoid("sigmoid"), Shape.of(3, 7), 9);
    }

    @Test
    void tanh() {
        check(ActivationLayer.tanh("tanh"), Shape.of(2, 2, 3, 3), 10);
    }

    @Test
    void linearFlattensRank4Input() {
        Linear fc = Linear.builder().name("fc").units(5).build();
        GradientChecker.Report r = check(fc, Shape.of(3, 2, 3, 2), 11);
        assertEquals(5 * 12, r.result("fc.W").checked());
    }

    @Test
    void linearBatchOneNoBias() {
        check(Linear.builder().name("fc").units(4).bias(false).initializer(Initializer.xavier()).build(),
                Shape.of(1, 6), 12);
    }

    @Test
    void flatten() {
        Flatten f = new Flatten("flat");
        assertEquals(Shape.of(2, 60), f.outputShape(Shape.of(2, 3, 4, 5)));
        check(f, Shape.of(2, 3, 4, 5), 13);
    }

    @Test
    void dropoutInTraining() {
        check(Dropout.builder().name("drop").probability(0.3f).build(), Shape.of(2, 3, 5, 5), 14);
    }

    @Test
    void localResponseNormAlexNet() {
        check(LocalResponseNorm.alexNet("norm"), Shape.of(2, 7, 3, 3), 15);
    }

    @Test
    void localResponseNormStrong() {
        // alpha large enough that the normalization really bends the output
        check(new LocalResponseNorm("norm", new LrnSpec(3, 2f, 0.75f, 1f)), Shape.of(2, 5, 2, 3), 16);
    }

    @Test
    void batchNormRank4() {
        check(BatchNorm.of("bn"), Shape.of(3, 2, 3, 4), 17);
    }

    @Test
    void checkerRestoresRunningStatisticsAndLeavesAnalyticGradients() {
        BatchNorm bn = BatchNorm.of("bn");
        Shape s = Shape.of(4, 3);
        try (bn; Tensor x = randomTensor(backend, s, 21)) {
            bn.initialize(backend, s, new Random(21));
            float[] input = backend.toFloatArray(x);
            bn.forward(x, true);
            float[] mean = backend.toFloatArray(bn.runningMean().value());
            float[] beta = backend.toFloatArray(bn.beta().value());
            GradientChecker.Report r = CHECKER.checkLayer(backend, bn, x);
            assertGradientsOk(r);
            org.junit.jupiter.api.Assertions.assertArrayEquals(mean, backend.toFloatArray(bn.runningMean().value()));
            org.junit.jupiter.api.Assertions.assertArrayEquals(beta, backend.toFloatArray(bn.beta().value()));
            org.junit.jupiter.api.Assertions.assertArrayEquals(input, backend.toFloatArray(x));
            // dbeta of sum(r * y) is the sum of r over the batch for each channel: nonzero
            float[] dbeta = backend.toFloatArray(bn.beta().grad());
            assertTrue(Math.abs(dbeta[0]) > 0, "analytic gradient left in place");
        }
    }

    @Test
    void batchNormRank2() {
        check(BatchNorm.of("bn"), Shape.of(5, 4), 18);
    }

    @Test
    void softmaxCrossEntropyThroughLinear() {
        Linear fc = Linear.builder().name("fc").units(6).build();
        Shape s = Shape.of(4, 2, 3, 3);
        try (fc; Tensor x = randomTensor(backend, s, 19);
             Tensor labels = backend.intTensor(Shape.of(4), NnTesting.labels(19, 4, 6))) {
            fc.initialize(backend, s, new Random(19));
            GradientChecker.Report r = CHECKER.checkWithLoss(backend, fc, x, labels);
            assertGradientsOk(r);
        }
    }

    @Test
    void checkerCatchesAWrongGradient() {
        Layer wrong = new ScaledBackward(ActivationLayer.tanh("tanh"), 1.05f);
        Shape s = Shape.of(2, 5);
        try (wrong; Tensor x = randomTensor(backend, s, 20)) {
            wrong.initialize(backend, s, new Random(20));
            GradientChecker.Report r = CHECKER.checkLayer(backend, wrong, x);
            assertFalse(r.passed(), r::toString);
            assertTrue(r.result("input").maxRelativeError() > 0.04, r::toString);
            GradientChecker.Result worst = r.worst();
            assertEquals("input", worst.name());
            assertTrue(worst.worstElement().matches("\\[[01], [0-4]\\]"), worst.worstElement());
            assertEquals(worst.numeric() * 1.05, worst.analytic(), 0.01 * Math.abs(worst.analytic()), worst::toString);
        }
    }

    /** A layer whose backward is off by a factor, to show that the checker can fail. */
    private static final class ScaledBackward implements Layer {
        private final Layer inner;
        private final float factor;
        private org.convnet4j.backend.Backend b;
        private Tensor dx;

        ScaledBackward(Layer inner, float factor) {
            this.inner = inner;
            this.factor = factor;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public Shape outputShape(Shape input) {
            return inner.outputShape(input);
        }

        @Override
        public void initialize(org.convnet4j.backend.Backend backend, Shape inputShape, Random rng) {
            b = backend;
            inner.initialize(backend, inputShape, rng);
        }

        @Override
        public Tensor forward(Tensor x, boolean training) {
            return inner.forward(x, training);
        }

        @Override
        public Tensor backward(Tensor dy) {
            float[] g = b.toFloatArray(inner.backward(dy));
            for (int i = 0; i < g.length; i++) {
                g[i] *= factor;
            }
            if (dx == null) {
                dx = b.allocate(dy.shape());
            }
            b.upload(g, dx);
            return dx;
        }

        @Override
        public void close() {
            inner.close();
            if (dx != null) {
                dx.close();
            }
        }
    }
}
