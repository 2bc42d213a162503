package org.convnet4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaGraphStep;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Conv2d;
import org.convnet4j.nn.Layer;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.NodeProbe;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.train.CudaGraphMode;
import org.convnet4j.train.TrainingStep;

/**
 * Times one network's training on a backend, like {@code caffe time}: on synthetic data (normal inputs,
 * uniform labels, fixed seed), after {@code warmup} untimed steps,
 * <ol>
 *   <li>{@code iterations} whole training steps (zero the gradients, forward, softmax cross-entropy,
 *       backward, SGD with momentum 0.9 and lr 0.01, as bench_torch.py), each timed from its start to a
 *       {@link Backend#synchronize()} after it, with no synchronization inside: the step time and
 *       images per second;</li>
 *   <li>on the CUDA backend, {@code iterations} steps replayed as one CUDA graph ({@link CudaGraphStep}, the
 *       same step with its loss left on the device: nothing is read back), each timed from its start to a
 *       synchronization after it; after the eager phase, with one eager step and the capture untimed;</li>
 *   <li>{@code iterations} more steps with {@link Backend#synchronize()} before and after every node's
 *       forward and backward call (each layer of a Sequential; each layer and merge of a Graph, through a
 *       {@link NodeProbe}), the loss and the update: the mean milliseconds of each.</li>
 * </ol>
 * Then the peak of the backend's memory counters ({@link Backend#memoryStats()}: tensors, workspaces and,
 * on the GPU, the pool), and the device-to-device copy bandwidth ({@link Backend#copy} of a
 * {@code copyMib} MiB tensor, 2 x bytes per copy, best of 10 after a warm-up; skipped when copyMib is 0).
 *
 * <p>The loss's forward downloads the loss value (one float), as in training, so the step holds one
 * host synchronization after the loss. A batch that does not fit throws {@link BatchDoesNotFitException}:
 * the CUDA backend's {@link DeviceOutOfMemoryException} is caught (not predicted), and its message (the
 * bytes asked for, in use and free) is given with a lower bound for the step (activations and their
 * gradients).
 */
public final class NetworkBenchmark {

    /**
     * What to run.
     *
     * @param model      a {@link Models} name
     * @param batch      images per step, at least 1
     * @param iterations timed steps per phase, at least 1
     * @param warmup     untimed steps first, at least 0
     * @param seed       of the weights and the synthetic data
     * @param copyMib    size of the copy-bandwidth tensor in MiB (0: not measured)
     */
    public record Config(String model, int batch, int iterations, int warmup, long seed, int copyMib) {
        public Config {
            Models.inputShape(model); // IllegalArgumentException naming the known models
            if (batch < 1 || iterations < 1 || warmup < 0 || copyMib < 0) {
                throw new IllegalArgumentException("bench: need batch >= 1, iterations >= 1, warmup >= 0 and "
                        + "copy MiB >= 0, got batch " + batch + ", iterations " + iterations + ", warmup " + warmup
                        + ", copy MiB " + copyMib);
            }
        }
    }

    /** One layer's mean forward and backward milliseconds, each between two synchronizations. */
    public record LayerTiming(String name, String type, Shape outputShape, double forwardMs, double backwardMs) {
    }

    private NetworkBenchmark() {
    }

    /** Classes of the model's last layer: 10 for the MNIST models (LeNet-5, ResNet-20), 1000 for ImageNet's. */
    public static int numClasses(String model) {
        return Models.inputShape(model).dim(1) < 64 ? 10 : 1000;
    }

    /** Runs the benchmark, the graph-replayed step where the backend is the CUDA one; see the class comment. */
    public static BenchResult run(Backend backend, Config config) {
        return run(backend, config, CudaGraphMode.AUTO);
    }

    /**
     * Runs the benchmark; graph says whether the step is also timed as a CUDA graph (AUTO: on the CUDA
     * backend; ON: an error elsewhere or where the capture fails; OFF: not).
     */
    public static BenchResult run(Backend backend, Config config, CudaGraphMode graph) {
        if (graph == CudaGraphMode.ON && !(backend instanceof CudaBackend)) {
            throw new IllegalArgumentException("bench --cuda-graph on needs the CUDA backend, not " + backend.name());
        }
        Shape input = Models.batchInputShape(config.model(), config.batch());
        try {
            return measure(backend, config, input, graph);
        } catch (DeviceOutOfMemoryException e) {
            throw doesNotFit(config, input, e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw doesNotFit(config, input, "the Java heap is full (-Xmx " + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MiB): " + e.getMessage(), e);
        }
    }

    private static BatchDoesNotFitException doesNotFit(Config config, Shape input, String detail, Throwable cause) {
        long lowerBound = activationBytes(config.model(), input);
        return new BatchDoesNotFitException(String.format(Locale.ROOT,
                "%s at batch %d does not fit in memory: it needs at least %.1f MiB for activations and their "
                        + "gradients alone (plus parameters and workspaces); the allocation that failed: %s. "
                        + "Try a smaller --batch.",
                config.model(), config.batch(), lowerBound / (double) (1 << 20), detail), cause);
    }

    /** Lower bound of a step's memory: the input and every layer's output, each with its gradient (float32). */
    static long activationBytes(String model, Shape input) {
        try (Network net = Models.create(model, numClasses(model))) {
            long elements = input.size();
            for (Shape s : net.outputShapes(input)) {
                elements += s.size();
            }
            return 2 * 4 * elements;
        }
    }

    private static BenchResult measure(Backend backend, Config config, Shape input, CudaGraphMode graphMode) {
        Random rng = new Random(config.seed());
        int classes = numClasses(config.model());
        float[] xHost = new float[input.size()];
        for (int i = 0; i < xHost.length; i++) {
            xHost[i] = (float) rng.nextGaussian();
        }
        int[] labelsHost = new int[config.batch()];
        for (int i = 0; i < labelsHost.length; i++) {
            labelsHost[i] = rng.nextInt(classes);
        }
        try (Network net = Models.create(config.model(), classes);
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer optimizer = Optimizers.create("momentum", backend, 0.01f, 0f);
             Tensor x = backend.tensor(input, xHost);
             Tensor labels = backend.intTensor(Shape.of(config.batch()), labelsHost)) {
            net.initialize(backend, input, config.seed());
            for (int i = 0; i < config.warmup(); i++) {
                step(net, loss, optimizer, x, labels);
            }
            backend.synchronize();

            double[] stepMs = new double[config.iterations()];
            for (int i = 0; i < config.iterations(); i++) {
                long t0 = System.nanoTime();
                step(net, loss, optimizer, x, labels);
                backend.synchronize();
                stepMs[i] = (System.nanoTime() - t0) / 1e6;
            }

            GraphTiming graph = graphMode == CudaGraphMode.OFF ? new GraphTiming(new double[0], "--cuda-graph off")
                    : backend instanceof CudaBackend cuda ? graphSteps(cuda, new TrainingStep(net, loss, optimizer, x,
                    labels), config.iterations(), graphMode == CudaGraphMode.ON)
                    : new GraphTiming(new double[0], "not the CUDA backend");

            NodeTimer timer = new NodeTimer(backend);
            double[] lossMs = new double[2];
            double updateMs = 0;
            for (int it = 0; it < config.iterations(); it++) {
                net.zeroGrad();
                backend.synchronize();
                Tensor t = net.forward(x, true, timer);
                long t0 = System.nanoTime();
                loss.forward(t, labels);
                backend.synchronize();
                lossMs[0] += (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                Tensor dy = loss.backward();
                backend.synchronize();
                lossMs[1] += (System.nanoTime() - t0) / 1e6;
                net.backward(dy, false, timer); // as a training step: no input gradient
                t0 = System.nanoTime();
                optimizer.step(net.parameters());
                backend.synchronize();
                updateMs += (System.nanoTime() - t0) / 1e6;
            }
            int k = config.iterations();
            List<LayerTiming> timings = timer.timings(k);
            long peak = backend.memoryStats().peakBytes();
            long workspace = backend instanceof CudaBackend ? largestConvWorkspace(net, input) : 0;
            double copy = config.copyMib() > 0 ? copyBandwidth(backend, config.copyMib()) : Double.NaN;
            DeviceInfo device = DeviceInfo.of(backend);
            return new BenchResult(config, backend.name(), backend.description(), device, net.parameterCount(),
                    timings, lossMs[0] / k, lossMs[1] / k, updateMs / k, stepMs, peak, workspace, copy,
                    graph.stepMs(), graph.unavailable());
        }
    }

    /**
     * The largest column workspace the CUDA backend's convolutions take for this network
     * ({@link CudaBackend#convWorkspaceBytes}): the chunk of images it works on
     * is sized to keep it under the backend's bound.
     */
    static long largestConvWorkspace(Network net, Shape input) {
        long largest = 0;
        List<Layer> layers = net.layers();
        List<Shape> inputs = net.layerInputShapes(input);
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i) instanceof Conv2d conv) {
                Shape x = inputs.get(i);
                Shape w = Shape.of(conv.filters(), x.c(), conv.kernelH(), conv.kernelW());
                largest = Math.max(largest, CudaBackend.convWorkspaceBytes(x, w, conv.spec()));
            }
        }
        return largest;
    }

    /** One training step, without synchronization. */
    private static void step(Network net, SoftmaxCrossEntropyLoss loss, Optimizer optimizer, Tensor x,
                             Tensor labels) {
        net.zeroGrad();
        Tensor logits = net.forward(x, true);
        loss.forward(logits, labels);
        net.backward(loss.backward(), false);
        optimizer.step(net.parameters());
    }

    /**
     * Device-to-device copy bandwidth in GB/s (10^9 bytes): a tensor of mib MiB copied into another, each
     * copy reading and writing every byte (2 x bytes), the best of 10 timed copies after 2 untimed.
     */
    public static double copyBandwidth(Backend backend, int mib) {
        Shape shape = Shape.of(mib, 1 << 18); // 2^18 floats = 1 MiB per row
        try (Tensor a = backend.allocate(shape, DataType.FLOAT32);
             Tensor b = backend.allocate(shape, DataType.FLOAT32)) {
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 12; i++) {
                backend.synchronize();
                long t0 = System.nanoTime();
                backend.copy(a, b);
                backend.synchronize();
                double s = (System.nanoTime() - t0) / 1e9;
                if (i >= 2) {
                    best = Math.min(best, s);
                }
            }
            return 2.0 * shape.size() * 4 / best / 1e9;
        }
    }

    /** The median of values (the mean of the two middle ones for an even count). */
    /** Steps replayed as a CUDA graph: their milliseconds, or none and why. */
    record GraphTiming(double[] stepMs, String unavailable) {
    }

    private static GraphTiming graphSteps(CudaBackend backend, TrainingStep step, int iterations, boolean required) {
        try (CudaGraphStep graph = CudaGraphStep.of(backend, step, step::savepoint, required)) {
            graph.run(); // eager
            graph.run(); // captured and launched
            backend.synchronize();
            if (!graph.graphed()) {
                return new GraphTiming(new double[0], "capture failed: " + graph.fallbackReason());
            }
            double[] ms = new double[iterations];
            for (int i = 0; i < iterations; i++) {
                long t0 = System.nanoTime();
                graph.run();
                backend.synchronize();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            return new GraphTiming(ms, null);
        }
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Times every node's calls between two synchronizations, per node in the order forward first ran them. */
    private static final class NodeTimer implements NodeProbe {
        private final Backend backend;
        private final Map<String, double[]> ms = new LinkedHashMap<>(); // forward ms, backward ms
        private final Map<String, String> types = new HashMap<>();
        private final Map<String, Shape> shapes = new HashMap<>();

        NodeTimer(Backend backend) {
            this.backend = backend;
        }

        @Override
        public <T> T run(String node, String type, boolean backward, Supplier<T> call) {
            backend.synchronize();
            long t0 = System.nanoTime();
            T result = call.get();
            backend.synchronize();
            ms.computeIfAbsent(node, n -> new double[2])[backward ? 1 : 0] += (System.nanoTime() - t0) / 1e6;
            types.put(node, type);
            if (!backward) {
                shapes.put(node, ((Tensor) result).shape());
            }
            return result;
        }

        /** The mean milliseconds over iterations, one row per node. */
        List<LayerTiming> timings(int iterations) {
            List<LayerTiming> rows = new ArrayList<>();
            ms.forEach((node, t) -> rows.add(new LayerTiming(node, types.get(node), shapes.get(node),
                    t[0] / iterations, t[1] / iterations)));
            return rows;
        }
    }
}
