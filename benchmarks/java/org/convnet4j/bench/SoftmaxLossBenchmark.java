package org.convnet4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.CudnnSoftmaxLoss;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Softmax cross-entropy on logits [N, K] ({@link KernelWorkloads#SOFTMAXES}: LeNet's and AlexNet's heads
 * and bench_torch.py's 4096 x 1000). Forward: ours computes the softmax and the mean loss on the device;
 * cuDNN's nearest op is cudnnSoftmaxForward (CUDNN_SOFTMAX_ACCURATE, per instance), which computes the
 * probabilities without the loss. Backward: ours writes (p - onehot) / N; cuDNN has no fused
 * cross-entropy gradient, so its backward trials are skipped. Each call ends with a device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Softmax#bytes()} = 8 * N * K bytes per
 * call (read N*K floats, write N*K floats), divided by the time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
public class SoftmaxLossBenchmark {

    @Param({"lenet5/64x10", "alexnet/128x1000", "4096x1000"})
    public String shape;

    @Param({"ours", "cudnn"})
    public String impl;

    @Param({"auto"})
    public String device;

    @Param({"false"})
    public boolean tiny;

    private BenchDevice.Trial trial;
    private Backend backend;
    private String skipReason;
    private Tensor logits;
    private Tensor labels;
    private Tensor probs;
    private Tensor loss;
    private Tensor dlogits;
    private CudnnSoftmaxLoss cudnnSoftmax;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        String method = BenchDevice.method(params.getBenchmark());
        KernelWorkloads.Softmax s = tiny ? KernelWorkloads.softmax(shape).tiny() : KernelWorkloads.softmax(shape);
        trial = BenchDevice.open(device, tiny);
        skipReason = trial.skipReason();
        if (skipReason == null && impl.equals("cudnn")) {
            skipReason = method.equals("backward") ? "cuDNN has no softmax cross-entropy gradient"
                    : BenchDevice.cudnnUnavailable(trial);
        }
        if (skipReason != null) {
            BenchDevice.skip("SoftmaxLossBenchmark." + method, "shape=" + shape + ", impl=" + impl, skipReason);
            return;
        }
        backend = trial.backend();
        logits = BenchDevice.random(backend, Shape.of(s.n(), s.k()), 1);
        int[] l = new int[s.n()];
        SplittableRandom rng = new SplittableRandom(2);
        for (int i = 0; i < l.length; i++) {
            l[i] = rng.nextInt(s.k());
        }
        labels = backend.intTensor(Shape.of(s.n()), l);
        probs = backend.allocate(Shape.of(s.n(), s.k()));
        loss = backend.allocate(Shape.of(1));
        dlogits = backend.allocate(Shape.of(s.n(), s.k()));
        if (impl.equals("cudnn")) {
            cudnnSoftmax = new CudnnSoftmaxLoss(BenchDevice.cudnn(), s.n(), s.k());
        }
        backend.softmaxCrossEntropyForward(logits, labels, probs, loss);
        backend.synchronize();
    }

    @Benchmark
    public void forward(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnSoftmax != null) {
            cudnnSoftmax.forward(logits, probs);
        } else {
            backend.softmaxCrossEntropyForward(logits, labels, probs, loss);
        }
        backend.synchronize();
    }

    @Benchmark
    public void backward(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        backend.softmaxCrossEntropyBackward(probs, labels, dlogits);
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {cudnnSoftmax, logits, labels, probs, loss, dlogits, trial}) {
            if (c != null) {
                c.close();
            }
        }
    }
}
