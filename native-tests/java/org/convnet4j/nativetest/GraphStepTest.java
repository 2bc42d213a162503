package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaGraphStep;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.train.TrainingStep;
import org.junit.jupiter.api.Test;

/**
 * The training step replayed as a CUDA graph gives the eager step's numbers bit for bit (same kernels, same
 * order, same per-step scalars): every loss and, at the end, every parameter, over 50 LeNet-5 steps
 * (batch 64, Adam, so the device's step count drives the bias corrections) and 3 AlexNet-OWT steps
 * (batch 128, momentum, two dropout layers whose seeds change every step). The pool's bytes in use and its
 * allocations stay flat over 1000 replays. On host fakes (the dry run of mvn verify) nothing is computed:
 * the capture and replay bookkeeping runs, every launch is checked, and the values compared are the
 * untouched ones.
 */
@GpuTest
class GraphStepTest {

    /** One model trained on one backend, eagerly or as a graph, from a fixed seed. */
    private static final class Run implements AutoCloseable {
        final CudaBackend backend;
        final Network net;
        final SoftmaxCrossEntropyLoss loss;
        final Optimizer optimizer;
        final Tensor images;
        final Tensor labels;
        final TrainingStep step;
        final CudaGraphStep graph;

        Run(CudaBackend backend, String model, int classes, int batch, String optimizerName, float lr,
            boolean graphed) {
            this.backend = backend;
            Shape in = Models.batchInputShape(model, batch);
            net = Models.create(model, classes);
            net.initialize(backend, in, 11);
            loss = new SoftmaxCrossEntropyLoss(backend);
            optimizer = Optimizers.create(optimizerName, backend, lr, 5e-4f);
            images = backend.allocate(in);
            labels = backend.allocate(Shape.of(batch), DataType.INT32);
            step = new TrainingStep(net, loss, optimizer, images, labels);
            graph = graphed ? CudaGraphStep.of(backend, step, step::savepoint, true) : null;
        }

        /** Uploads the batch, runs one step, returns its loss. */
        float step(LeNetRun.Batch b) {
            backend.upload(b.images(), images);
            backend.upload(b.labels(), labels);
            if (graph != null) {
                graph.run();
            } else {
                step.run();
            }
            return backend.toFloatArray(step.loss())[0];
        }

        List<float[]> parameters() {
            List<float[]> values = new ArrayList<>();
            for (Parameter p : net.parameters()) {
                values.add(backend.toFloatArray(p.value()));
            }
            return values;
        }

        @Override
        public void close() {
            if (graph != null) {
                graph.close();
            }
            optimizer.close();
            loss.close();
            net.close();
            images.close();
            labels.close();
        }
    }

    /** Random images [batch, 3, 224, 224] in [0, 1) and labels in [0, classes), batch number i. */
    private static LeNetRun.Batch imageNetBatch(int i, int batch, int classes) {
        SplittableRandom r = new SplittableRandom(500 + i);
        float[] x = new float[batch * 3 * 224 * 224];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) r.nextDouble();
        }
        int[] y = new int[batch];
        for (int n = 0; n < batch; n++) {
            y[n] = r.nextInt(classes);
        }
        return new LeNetRun.Batch(x, y);
    }

    private static void graphMatchesEager(String model, int classes, int batch, String optimizer, float lr,
                                          int steps, IntFunction<LeNetRun.Batch> data) {
        assumeFalse(NativeBackends.cpuStandIn(), "graphs need the CUDA backend");
        float[] eagerLoss = new float[steps];
        float[] graphLoss = new float[steps];
        try (CudaBackend gpu = NativeBackends.openCuda()) {
            List<float[]> eagerParams;
            try (Run eager = new Run(gpu, model, classes, batch, optimizer, lr, false)) {
                for (int s = 0; s < steps; s++) {
                    eagerLoss[s] = eager.step(data.apply(s));
                }
                eagerParams = eager.parameters();
            }
            try (Run graphed = new Run(gpu, model, classes, batch, optimizer, lr, true)) {
                for (int s = 0; s < steps; s++) {
                    graphLoss[s] = graphed.step(data.apply(s));
                }
                assertTrue(graphed.graph.graphed(), "the step runs as a graph");
                assertNull(graphed.graph.fallbackReason());
                System.out.printf("%s batch %d: %d steps, the graph holds %d kernels and GEMMs; losses %s%n", model,
                        batch, steps, graphed.graph.ops(), java.util.Arrays.toString(graphLoss));
                assertArrayEquals(eagerLoss, graphLoss, model + ": every step's loss, graph vs eager");
                List<float[]> graphParams = graphed.parameters();
                List<Parameter> names = graphed.net.parameters();
                for (int i = 0; i < names.size(); i++) {
                    assertArrayEquals(eagerParams.get(i), graphParams.get(i),
                            model + " " + names.get(i).name() + " after " + steps + " steps, graph vs eager");
                }
            }
        }
    }

    @Test
    void leNetGraphMatchesEagerBitForBitOverFiftySteps() {
        graphMatchesEager("lenet5", 10, LeNetRun.BATCH, "adam", 1e-3f, 50, LeNetRun::batch);
    }

    @Test
    void alexNetOwtGraphMatchesEagerBitForBitOverThreeSteps() {
        graphMatchesEager("alexnet-owt", 1000, 128, "momentum", 0.01f, 3, i -> imageNetBatch(i, 128, 1000));
    }

    @Test
    void poolBytesStayFlatOverAThousandReplays() {
        assumeFalse(NativeBackends.cpuStandIn(), "graphs need the CUDA backend");
        try (CudaBackend gpu = NativeBackends.openCuda();
             Run run = new Run(gpu, "lenet5", 10, LeNetRun.BATCH, "momentum", 0.01f, true)) {
            run.step(LeNetRun.batch(0));
            run.step(LeNetRun.batch(1)); // captured
            MemoryStats first = gpu.memoryStats();
            for (int s = 0; s < 1000; s++) {
                run.graph.run();
            }
            gpu.synchronize();
            MemoryStats last = gpu.memoryStats();
            System.out.println("POOL after the capture: " + first + "; after 1000 replays: " + last);
            assertTrue(run.graph.graphed());
            assertEquals(first.bytesInUse(), last.bytesInUse(), "bytes in use");
            assertEquals(first.allocations(), last.allocations(), "allocations from the device");
        }
    }
}
