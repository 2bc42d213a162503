package org.convnet4j.train;

import static org.convnet4j.testing.Assertions.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cpu.CpuGemm;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.distributed.AllReduce;
import org.convnet4j.distributed.InProcessAllReduce;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Layer;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.NodeProbe;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.Sequential;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * N CPU replicas at B/N items each against one network at B items, LeNet-5 (no dropout, no batch norm).
 *
 * <p>The bound, per step. Both runs do the same per-item arithmetic: forward, the loss and every backward
 * op but the parameter-gradient sums are computed item by item in an order that does not depend on the
 * batch size (CpuBackend), and the loss gradient is bit-identical because every shard weight n_i / B used
 * here is a power of two (dlogits = (p - onehot) / n_i scaled by n_i / B by one exact multiplication),
 * and the backends use the own SGEMM ({@link #javaGemmBackend}).
 * So each gradient element is, in both runs, a float sum of the same M products (M = B x the layer's
 * output positions per item; bias: M values of dy) summed in another order. For any order the error of
 * such a sum is at most gamma_M * A with gamma_M = M u / (1 - M u), u = 2^-24 and A the sum of the
 * terms' magnitudes (Higham, Accuracy and Stability, eq. 3.5), so the two differ by at most 2 gamma_M A,
 * plus the all-reduce's one rounding of the sum (u |g|) and its double sum of N partials (under u A).
 * The test computes A exactly (the layer's own backward on |x| and |dy|, all terms >= 0) and asserts
 * |g_dp - g| &lt;= (2 gamma_M + u) A + u |g| per element. The losses: a mean of the same B item losses,
 * at most (2B + 2) u |loss| apart. Then the reference takes the replicas' summed gradient and its
 * optimizer step must give every replica's parameters bit for bit: the update is identical code on
 * identical inputs, and the replicas stay identical to each other. Each step starts from equal parameters.
 */
class DataParallelStepTest {
    private static final double U = Math.scalb(1.0, -24);
    private static final Dataset DATA = new SyntheticDataset("synthetic", 96, Shape.of(1, 28, 28), 10, 7, 2f);
    private static final long SEED = 11;
    private static final int STEPS = 3;
    private static final int[] ORDER = EpochOrder.permutation(3, 1, DATA.size());
    private final List<AutoCloseable> open = new ArrayList<>();
    /** The model of the replicas this test makes. */
    private String model = "lenet5";

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /**
     * A one-thread CPU backend on the own SGEMM, whose sums run in the same order for any number of rows; a
     * native BLAS may round a 2-row block otherwise than an 8-row one, which would break the per-item
     * identity the bound rests on (the difference stays at rounding level, but is not bounded by it).
     */
    private static CpuBackend javaGemmBackend() {
        String before = System.getProperty(CpuGemm.PROPERTY);
        System.setProperty(CpuGemm.PROPERTY, "java");
        try {
            return new CpuBackend(1);
        } finally {
            if (before == null) {
                System.clearProperty(CpuGemm.PROPERTY);
            } else {
                System.setProperty(CpuGemm.PROPERTY, before);
            }
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private static float lr(String optimizer) {
        return optimizer.equals("sgd") || optimizer.equals("momentum") || optimizer.equals("nesterov") ? 0.05f : 0.003f;
    }

    /** One replica (or the reference) of LeNet-5 on its own backend. */
    private DataParallelStep.Replica replica(Backend backend, int items, String optimizer) {
        Network net = Models.create(model, 10);
        net.initialize(backend, Models.batchInputShape(model, items), SEED);
        return new DataParallelStep.Replica(net, new SoftmaxCrossEntropyLoss(backend),
                Optimizers.create(optimizer, backend, lr(optimizer), 0f), new BatchLoader(backend, DATA, items),
                new BatchTally(backend, STEPS, items));
    }

    private DataParallelStep step(int n, int batch, String optimizer, long bucketBytes) {
        return step(n, batch, optimizer, bucketBytes, InProcessAllReduce::new);
    }

    private DataParallelStep step(int n, int batch, String optimizer, long bucketBytes,
                                  java.util.function.Function<List<Backend>, AllReduce> allReduce) {
        List<Backend> backends = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            backends.add(keep(javaGemmBackend()));
        }
        AllReduce reduce = keep(allReduce.apply(backends));
        int[] shards = DataParallelStep.shardSizes(batch, n);
        List<DataParallelStep.Replica> replicas = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            replicas.add(replica(backends.get(r), shards[r], optimizer));
        }
        DataParallelStep step = keep(new DataParallelStep(replicas, reduce, batch, bucketBytes));
        step.broadcastFromReplica0();
        return step;
    }

    static Stream<Arguments> everyOptimizerAtTwoAndFourReplicas() {
        return Optimizers.names().stream().flatMap(o -> Stream.of(Arguments.of(o, 2, 8), Arguments.of(o, 4, 8)));
    }

    @ParameterizedTest(name = "{0}, {1} replicas, batch {2}")
    @MethodSource("everyOptimizerAtTwoAndFourReplicas")
    void replicasAtBOverNMatchOneNetworkAtBToTheRoundingBound(String optimizer, int n, int batch) {
        compare(optimizer, n, batch);
    }

    @ParameterizedTest(name = "{0} replicas, batch {1}")
    @MethodSource("unevenShards")
    void unevenShardsWeighTheirItemsAsTheGlobalMean(int n, int batch) {
        assertTrue(batch % n != 0);
        compare("adam", n, batch);
    }

    static Stream<Arguments> unevenShards() {
        // shards 2,1,1 and 2,2,1,1,1,1: weights n_i / B of 1/2, 1/4 and 1/8 (see the class comment)
        return Stream.of(Arguments.of(3, 4), Arguments.of(6, 8));
    }

    private void compare(String optimizer, int n, int batch) {
        CpuBackend backend = keep(javaGemmBackend());
        DataParallelStep.Replica ref = replica(backend, batch, optimizer);
        keep(() -> close(ref));
        DataParallelStep dp = step(n, batch, optimizer, 4096);
        List<Parameter> refParams = ref.net().parameters();
        ref.batches().order(1, ORDER);
        dp.order(1, ORDER);
        for (int s = 0; s < STEPS; s++) {
            String at = optimizer + ", " + n + " replicas, step " + (s + 1);
            ref.batches().load(s * batch);
            Captured c = forwardBackward(ref);
            List<float[]> gRef = grads(backend, refParams);
            dp.run(s * batch, s);
            assertEquals(s + 1, dp.tallies().read(s + 1, true));
            float loss = dp.tallies().loss(s);
            assertTrue(Math.abs(loss - c.loss) <= (2 * batch + 2) * U * Math.abs(c.loss),
                    at + ": loss " + loss + " vs " + c.loss);
            Network net0 = dp.replica(0).net();
            List<float[]> gDp = grads(net0.backend(), net0.parameters());
            Map<String, float[]> terms = absoluteTerms(ref, c);
            for (int i = 0; i < refParams.size(); i++) {
                Parameter p = refParams.get(i);
                if (!p.isTrainable()) {
                    continue;
                }
                double m = c.termsPerElement.get(p.name());
                double gamma = m * U / (1 - m * U);
                float[] a = terms.get(p.name());
                for (int j = 0; j < a.length; j++) {
                    double bound = (2 * gamma + U) * a[j] + U * Math.abs(gRef.get(i)[j]);
                    if (!(Math.abs(gDp.get(i)[j] - gRef.get(i)[j]) <= bound)) {
                        fail(at + ": " + p.name() + "[" + j + "] gradient " + gDp.get(i)[j] + " vs " + gRef.get(i)[j]
                                + ", more than the bound " + bound + " apart (A = " + a[j] + ", M = " + m + ")");
                    }
                }
                backend.upload(gDp.get(i), p.grad());
            }
            ref.optimizer().step(refParams);
            for (int r = 0; r < n; r++) {
                List<Parameter> mine = dp.replica(r).net().parameters();
                for (int i = 0; i < refParams.size(); i++) {
                    assertBitIdentical(backend.toFloatArray(refParams.get(i).value()),
                            dp.replica(r).net().backend().toFloatArray(mine.get(i).value()),
                            at + ", replica " + r + ", " + refParams.get(i).name());
                }
            }
        }
    }

    private static void close(DataParallelStep.Replica p) {
        p.tally().close();
        p.batches().close();
        p.optimizer().close();
        p.loss().close();
        p.net().close();
    }

    private static List<float[]> grads(Backend backend, List<Parameter> params) {
        List<float[]> g = new ArrayList<>();
        for (Parameter p : params) {
            g.add(p.isTrainable() ? backend.toFloatArray(p.grad()) : null);
        }
        return g;
    }

    /** What a reference step saw: its loss, and each parameter layer's input and output gradient. */
    private static final class Captured {
        float loss;
        final Map<String, float[]> inputs = new HashMap<>();
        final Map<String, Shape> inputShapes = new HashMap<>();
        final Map<String, float[]> outputGrads = new HashMap<>();
        final Map<String, Shape> outputGradShapes = new HashMap<>();
        final Map<String, Double> termsPerElement = new HashMap<>();
    }

    /** The reference's forward, loss and backward (a training step without the update), recording layers. */
    private static Captured forwardBackward(DataParallelStep.Replica ref) {
        Captured c = new Captured();
        Sequential net = (Sequential) ref.net();
        Backend backend = net.backend();
        Tensor[] last = {ref.batches().images()};
        NodeProbe record = new NodeProbe() {
            @Override
            public <T> T run(String node, String type, boolean backward, Supplier<T> call) {
                if (!net.layer(node).parameters().isEmpty()) {
                    (backward ? c.outputGrads : c.inputs).put(node, backend.toFloatArray(last[0]));
                    (backward ? c.outputGradShapes : c.inputShapes).put(node, last[0].shape());
                }
                T out = call.get();
                last[0] = (Tensor) out;
                return out;
            }
        };
        Tensor logits = net.forward(ref.batches().images(), true, record);
        c.loss = ref.loss().forward(logits, ref.batches().labels());
        net.zeroGrad();
        last[0] = ref.loss().backward();
        net.backward(last[0], false, record);
        for (Layer l : net.layers()) {
            Shape dy = c.outputGradShapes.get(l.name());
            for (Parameter p : l.parameters()) {
                // every output element of every item contributes one product: B x positions per channel
                c.termsPerElement.put(p.name(), (double) dy.size() / dy.dim(1));
            }
        }
        return c;
    }

    /** A per gradient element: each parameter layer's backward run again on |x| and |dy| (all terms >= 0). */
    private static Map<String, float[]> absoluteTerms(DataParallelStep.Replica ref, Captured c) {
        Sequential net = (Sequential) ref.net();
        Backend backend = net.backend();
        Map<String, float[]> a = new HashMap<>();
        for (Layer l : net.layers()) {
            if (l.parameters().isEmpty()) {
                continue;
            }
            try (Tensor x = backend.tensor(c.inputShapes.get(l.name()), abs(c.inputs.get(l.name())));
                 Tensor dy = backend.tensor(c.outputGradShapes.get(l.name()), abs(c.outputGrads.get(l.name())))) {
                for (Parameter p : l.parameters()) {
                    backend.fill(p.grad(), 0f);
                }
                l.forward(x, true);
                l.backward(dy, false);
                for (Parameter p : l.parameters()) {
                    a.put(p.name(), backend.toFloatArray(p.grad()));
                }
            }
        }
        return a;
    }

    private static float[] abs(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.abs(v[i]);
        }
        return out;
    }

    @Test
    void shardsAreBOverNAndTheFirstBModNGetOneMore() {
        assertArrayEquals(new int[] {3, 3, 2}, DataParallelStep.shardSizes(8, 3));
        assertArrayEquals(new int[] {2, 2, 2, 2}, DataParallelStep.shardSizes(8, 4));
        assertArrayEquals(new int[] {1, 1}, DataParallelStep.shardSizes(2, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> DataParallelStep.shardSizes(3, 4));
        assertTrue(e.getMessage().contains("batch of 3 cannot be split over 4 replicas"), e.getMessage());
    }

    @Test
    void bucketsWalkTheParametersFromTheLastLayerAndCloseAtTheByteSize() {
        DataParallelStep dp = step(2, 4, "sgd", 4096);
        List<String> reversed = new ArrayList<>();
        List<Parameter> params = dp.replica(0).net().parameters();
        for (int i = params.size() - 1; i >= 0; i--) {
            reversed.add(params.get(i).name());
        }
        List<List<String>> buckets = dp.buckets();
        assertEquals(reversed, buckets.stream().flatMap(List::stream).toList());
        // fc3 (840 + 10 floats) and fc2's bias (84) stay under 4096 bytes; fc2's weights close the bucket
        assertEquals(List.of("fc3.b", "fc3.W", "fc2.b", "fc2.W"), buckets.get(0));
        assertEquals(List.of(reversed), step(2, 4, "sgd", Long.MAX_VALUE).buckets());
    }

    /** LeNet-5 a Sequential, ResNet-20 a Graph (with batch norm): both name their nodes to the probe. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"lenet5", "resnet20"})
    void theLastLayersBucketIsReducedBeforeTheFirstLayersBackward(String name) {
        model = name;
        List<Boolean> firstLayerStillZero = new ArrayList<>();
        DataParallelStep[] holder = new DataParallelStep[1];
        DataParallelStep dp = step(2, 4, "sgd", 4096, backends -> new Recording(new InProcessAllReduce(backends), () -> {
            if (holder[0] != null) {
                Network net = holder[0].replica(0).net();
                float[] g = net.backend().toFloatArray(net.parameters().get(0).grad()); // the first convolution's W
                firstLayerStillZero.add(java.util.stream.IntStream.range(0, g.length).allMatch(i -> g[i] == 0f));
            }
        }));
        holder[0] = dp;
        dp.order(1, ORDER);
        dp.run(0, 0);
        assertTrue(dp.buckets().size() > 2, dp.buckets().toString());
        assertTrue(firstLayerStillZero.get(0), "the first bucket was reduced after the first layer's backward");
        assertTrue(!firstLayerStillZero.get(firstLayerStillZero.size() - 1),
                "the first layer is reduced after its backward");
    }

    /** An all-reduce that runs beforeSum before each sum. */
    private record Recording(AllReduce inner, Runnable beforeSum) implements AllReduce {
        @Override
        public int worldSize() {
            return inner.worldSize();
        }

        @Override
        public int localReplicas() {
            return inner.localReplicas();
        }

        @Override
        public int firstRank() {
            return inner.firstRank();
        }

        @Override
        public void allReduceSum(List<Tensor> buffers) {
            beforeSum.run();
            inner.allReduceSum(buffers);
        }

        @Override
        public void broadcast(List<Tensor> buffers, int root) {
            inner.broadcast(buffers, root);
        }

        @Override
        public void await() {
            inner.await();
        }

        @Override
        public String description() {
            return inner.description();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void aReplicaThatThrowsStopsTheOthersAndItsErrorSurfacesWithItsIndex() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            // replica 2 fails in its backward (fc3 accumulates into a closed gradient) while the others wait
            // at fc3's bucket; then replica 1 fails in its forward while the others wait for the loss
            DataParallelStep dp = step(4, 8, "sgd", 4096);
            dp.order(1, ORDER);
            named(dp.replica(2).net(), "fc3.W").grad().close();
            var e = assertThrows(DataParallelException.class, () -> dp.run(0, 0));
            assertEquals(2, e.replica());
            assertTrue(e.getMessage().contains("replica 2 of 4 failed") && e.getMessage().contains("close"),
                    e.getMessage());
            DataParallelStep dp2 = step(3, 6, "sgd", 4096);
            dp2.order(1, ORDER);
            named(dp2.replica(1).net(), "conv1.W").value().close();
            var f = assertThrows(DataParallelException.class, () -> dp2.run(0, 0));
            assertEquals(1, f.replica());
            // the all-reduce itself fails, in whichever replica thread arrived last at the first bucket
            DataParallelStep dp3 = step(2, 4, "sgd", 4096, backends -> new Recording(new InProcessAllReduce(backends),
                    () -> {
                        throw new IllegalStateException("link down");
                    }));
            dp3.order(1, ORDER);
            var g = assertThrows(DataParallelException.class, () -> dp3.run(0, 0));
            assertEquals(-1, g.replica());
            assertTrue(g.getMessage().contains("the all-reduce failed") && g.getMessage().contains("link down"),
                    g.getMessage());
        });
    }

    private static Parameter named(Network net, String name) {
        return net.parameters().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void mismatchedLoadersAreRefused() {
        List<Backend> backends = List.of(keep(javaGemmBackend()), keep(javaGemmBackend()));
        AllReduce reduce = keep(new InProcessAllReduce(backends));
        List<DataParallelStep.Replica> replicas = List.of(replica(backends.get(0), 3, "sgd"),
                replica(backends.get(1), 3, "sgd"));
        var e = assertThrows(IllegalArgumentException.class, () -> new DataParallelStep(replicas, reduce, 5, 4096));
        assertTrue(e.getMessage().contains("replica 1's batches hold 3 items, its shard of 5 has 2"), e.getMessage());
        replicas.forEach(DataParallelStepTest::close);
    }
}
