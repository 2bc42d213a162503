package org.convnet4j.bench;

import java.util.concurrent.TimeUnit;
import org.convnet4j.backend.Activation;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.CudnnActivation;
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
 * ReLU forward (y = max(x, 0)) and backward (dx = dy where y &gt; 0) on {@link KernelWorkloads#RELUS}
 * (AlexNet's conv1 output at batch 128, and a 256 MiB array), ours against cuDNN's CUDNN_ACTIVATION_RELU.
 * Out of place on both sides. Each call ends with a device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Relu#bytes(boolean)} = 8n bytes forward
 * (read x, write y), 12n backward (read y and dy, write dx), divided by the time. A memory-bound kernel
 * should come close to the device-to-device copy bandwidth.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
public class ReluBenchmark {

    @Param({"alexnet/relu1", "256MiB"})
    public String size;

    @Param({"ours", "cudnn"})
    public String impl;

    @Param({"auto"})
    public String device;

    @Param({"false"})
    public boolean tiny;

    private BenchDevice.Trial trial;
    private Backend backend;
    private String skipReason;
    private Tensor x;
    private Tensor y;
    private Tensor dy;
    private Tensor dx;
    private CudnnActivation cudnnRelu;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        KernelWorkloads.Relu r = tiny ? KernelWorkloads.relu(size).tiny() : KernelWorkloads.relu(size);
        trial = BenchDevice.open(device, tiny);
        skipReason = trial.skipReason();
        if (skipReason == null && impl.equals("cudnn")) {
            skipReason = BenchDevice.cudnnUnavailable(trial);
        }
        if (skipReason != null) {
            BenchDevice.skip("ReluBenchmark." + BenchDevice.method(params.getBenchmark()),
                    "size=" + size + ", impl=" + impl, skipReason);
            return;
        }
        backend = trial.backend();
        Shape shape = Shape.of(r.n());
        x = BenchDevice.random(backend, shape, 1);
        y = backend.allocate(shape);
        dy = BenchDevice.random(backend, shape, 2);
        dx = backend.allocate(shape);
        if (impl.equals("cudnn")) {
            // cuDNN sees an NCHW tensor of the same n elements
            Shape nchw = r.n() % 1024 == 0 ? Shape.of(r.n() / 1024, 1024, 1, 1) : Shape.of(1, r.n(), 1, 1);
            cudnnRelu = new CudnnActivation(BenchDevice.cudnn(), nchw);
        }
        backend.activationForward(Activation.RELU, x, y);
        backend.synchronize();
    }

    @Benchmark
    public void forward(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnRelu != null) {
            cudnnRelu.forward(x, y);
        } else {
            backend.activationForward(Activation.RELU, x, y);
        }
        backend.synchronize();
    }

    @Benchmark
    public void backward(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnRelu != null) {
            cudnnRelu.backward(y, dy, x, dx);
        } else {
            backend.activationBackward(Activation.RELU, y, dy, dx);
        }
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {cudnnRelu, x, y, dy, dx, trial}) {
            if (c != null) {
                c.close();
            }
        }
    }
}
