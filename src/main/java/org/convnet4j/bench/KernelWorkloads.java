package org.convnet4j.bench;

import java.util.List;
import java.util.function.Function;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.Shape;

/**
 * The shapes the op-family benchmarks (PoolingBenchmark, ActivationBenchmark, SoftmaxLossBenchmark,
 * DenseBenchmark, DropoutBenchmark, NormalizationBenchmark, OptimizersBenchmark, MemoryBenchmark, MergeBenchmark) run, by
 * name, and the byte or FLOP count each throughput figure is computed from.
 * The JMH classes take a shape's name as a parameter; the report looks the same name up here to turn a
 * time into GB/s or GFLOP/s.
 *
 * <p>Byte counts are the least traffic any implementation must make (each input read once, each output
 * written once, 4 bytes per float), so ours and cuDNN's are measured against the same yardstick even
 * where one of them moves more (our max pooling also writes int32 switches; cuDNN's backward rereads x and
 * y instead).
 */
public final class KernelWorkloads {
    private KernelWorkloads() {
    }

    /**
     * Max pooling over x [n, c, h, w] with a k x k window and stride s, no padding.
     * Bytes: forward reads x and writes y, 4 * (|x| + |y|); backward reads dy and writes dx,
     * 4 * (|y| + |x|): the same count.
     */
    public record Pool(String name, int n, int c, int h, int w, int k, int s) {
        public PoolSpec spec() {
            return PoolSpec.of(k, s);
        }

        public Shape inputShape() {
            return Shape.of(n, c, h, w);
        }

        public Shape outputShape() {
            return spec().outputShape(name, inputShape());
        }

        public double bytes() {
            return 4.0 * ((double) inputShape().size() + outputShape().size());
        }

        /** Batch 1, at most 4 channels. */
        public Pool tiny() {
            return new Pool(name, 1, Math.min(c, 4), h, w, k, s);
        }
    }

    /**
     * An element-wise op on n floats (ReLU, dropout, an optimizer update, a copy); its bytes per call are
     * {@link #bytesPerElement} times n.
     */
    public record Elements(String name, int n) {
        public Elements tiny() {
            return new Elements(name, Math.min(n, 4096));
        }
    }

    /**
     * Batch norm and LRN on x [n, c, h, w]. Bytes per call ({@link #bytes}): batch norm forward (training)
     * reads x and writes y, 8|x|; its backward reads x and dy and writes dx, 12|x|; LRN forward reads x and
     * writes the scale and y, 12|x|; its backward reads x, y, the scale and dy and writes dx, 20|x|
     * (per-channel vectors are negligible).
     */
    public record Norm(String name, int n, int c, int h, int w) {
        public Shape shape() {
            return Shape.of(n, c, h, w);
        }

        /** Bytes of one call of NormalizationBenchmark's method. */
        public double bytes(String method) {
            int floats = switch (method) {
                case "batchNormForward" -> 2;
                case "batchNormBackward", "lrnForward" -> 3;
                case "lrnBackward" -> 5;
                default -> throw new IllegalArgumentException("no normalization benchmark method '" + method + "'");
            };
            return 4.0 * floats * shape().size();
        }

        /** Batch 1, at most 8 channels. */
        public Norm tiny() {
            return new Norm(name, 1, Math.min(c, 8), h, w);
        }
    }

    /**
     * Softmax cross-entropy on logits [n, k]. Bytes: forward reads the logits and writes the
     * probabilities, 8nk (labels and the loss are negligible); backward reads the probabilities and writes
     * dlogits, 8nk.
     */
    public record Softmax(String name, int n, int k) {
        public double bytes() {
            return 8.0 * n * k;
        }

        public Softmax tiny() {
            return new Softmax(name, Math.min(n, 8), Math.min(k, 10));
        }
    }

    /**
     * Row-major SGEMM C [m, n] = A [m, k] * B [k, n], batch times (strided batched: one A shared, as in our
     * convolution). FLOPs: 2 * m * n * k * batch.
     */
    public record Gemm(String name, int m, int n, int k, int batch) {
        public double flops() {
            return 2.0 * m * n * k * batch;
        }

        public Gemm tiny() {
            return new Gemm(name, Math.min(m, 64), Math.min(n, 64), Math.min(k, 64), 1);
        }
    }

    /** Max pooling of the benchmark networks (batch as in bench_torch.py). */
    public static final List<Pool> POOLS = List.of(
            new Pool("lenet5/pool1", 64, 6, 28, 28, 2, 2),
            new Pool("alexnet/pool1", 128, 96, 55, 55, 3, 2),
            new Pool("alexnet/pool2", 128, 256, 27, 27, 3, 2),
            new Pool("alexnet/pool5", 128, 256, 13, 13, 3, 2),
            new Pool("alexnet-owt/pool1", 128, 64, 55, 55, 3, 2));

    /** ReLU sizes: AlexNet's conv1 output at batch 128, and the 256 MiB array of bench_torch.py's relu_fwd. */
    public static final List<Elements> RELUS = List.of(
            new Elements("alexnet/relu1", 128 * 96 * 55 * 55),
            new Elements("256MiB", 64 << 20));

    /** Dropout: AlexNet's fc6 output at batch 128 (drop7's input), and 256 MiB. */
    public static final List<Elements> DROPOUTS = List.of(
            new Elements("alexnet/drop7", 128 * 4096),
            new Elements("256MiB", 64 << 20));

    /** Normalization: AlexNet's conv1 output at batch 128 (where its first LRN runs). */
    public static final List<Norm> NORMS = List.of(new Norm("alexnet/norm1", 128, 96, 55, 55));

    /** Optimizer updates: every parameter of the original AlexNet (1000 classes) as one tensor. */
    public static final List<Elements> UPDATES = List.of(new Elements("alexnet", 62_378_344));

    /** Device-to-device copies: 256 MiB (as {@code convnet4j bench --copy-mib 256}). */
    public static final List<Elements> COPIES = List.of(new Elements("256MiB", 64 << 20));

    /**
     * Merges at batch 128: ResNet-18's layer1 residual sum (64 x 56 x 56 per image) and GoogLeNet's inception 3a
     * output (256 x 28 x 28), both 25,690,112 floats.
     */
    public static final List<Elements> MERGES = List.of(
            new Elements("resnet18/layer1", 128 * 64 * 56 * 56),
            new Elements("googlenet/inception3a", 128 * 256 * 28 * 28));

    /** Softmax losses: LeNet's and AlexNet's heads, and bench_torch.py's 4096 x 1000. */
    public static final List<Softmax> SOFTMAXES = List.of(
            new Softmax("lenet5/64x10", 64, 10),
            new Softmax("alexnet/128x1000", 128, 1000),
            new Softmax("4096x1000", 4096, 1000));

    /**
     * GEMMs: two square sizes, AlexNet conv2's forward per image (FN=256, OH*OW=729, C*K*K=2400, 128
     * images) and fc6 at batch 128 (128 x 4096 from 9216).
     */
    public static final List<Gemm> GEMMS = List.of(
            new Gemm("square1024", 1024, 1024, 1024, 1),
            new Gemm("square4096", 4096, 4096, 4096, 1),
            new Gemm("alexnet/conv2-fwd", 256, 729, 2400, 128),
            new Gemm("alexnet/fc6-fwd", 128, 4096, 9216, 1));

    public static Pool pool(String name) {
        return find("pooling", POOLS, Pool::name, name);
    }

    public static Elements relu(String name) {
        return find("relu", RELUS, Elements::name, name);
    }

    public static Elements dropout(String name) {
        return find("dropout", DROPOUTS, Elements::name, name);
    }

    public static Norm norm(String name) {
        return find("normalization", NORMS, Norm::name, name);
    }

    public static Elements update(String name) {
        return find("optimizer", UPDATES, Elements::name, name);
    }

    public static Elements copy(String name) {
        return find("copy", COPIES, Elements::name, name);
    }

    public static Elements merge(String name) {
        return find("merge", MERGES, Elements::name, name);
    }

    /**
     * Bytes one call of an element-wise benchmark method moves per element (4 per float read or written):
     * <pre>
     *   ActivationBenchmark  forward  8 (read x, write y)       backward 12 (read y and dy, write dx)
     *   DropoutBenchmark     forward 12 (read x, write mask, y) backward 12 (read dy and mask, write dx)
     *   OptimizersBenchmark  momentum 20 (read param, grad, velocity; write param, velocity)
     *                        adam     28 (read param, grad, m, v; write param, m, v)
     *   MemoryBenchmark      copy     8 (read src, write dst: the usual "2 x bytes" copy bandwidth)
     *   MergeBenchmark       add     12 (read a and b, write y)  concat   8 (read a branch, write y)
     * </pre>
     */
    public static int bytesPerElement(String benchmark, String method) {
        return switch (benchmark + "." + method) {
            case "ActivationBenchmark.forward", "MemoryBenchmark.copy", "MergeBenchmark.concat" -> 8;
            case "ActivationBenchmark.backward", "DropoutBenchmark.forward", "DropoutBenchmark.backward",
                 "MergeBenchmark.add" -> 12;
            case "OptimizersBenchmark.momentum" -> 20;
            case "OptimizersBenchmark.adam" -> 28;
            default -> throw new IllegalArgumentException("no element-wise benchmark " + benchmark + "." + method);
        };
    }

    public static Softmax softmax(String name) {
        return find("softmax", SOFTMAXES, Softmax::name, name);
    }

    public static Gemm gemm(String name) {
        return find("sgemm", GEMMS, Gemm::name, name);
    }

    private static <T> T find(String family, List<T> all, Function<T, String> nameOf, String name) {
        for (T t : all) {
            if (nameOf.apply(t).equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown " + family + " workload '" + name + "'; known: "
                + all.stream().map(nameOf).toList());
    }
}
