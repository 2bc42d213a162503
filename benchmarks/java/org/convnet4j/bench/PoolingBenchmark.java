package org.convnet4j.bench;

import java.util.concurrent.TimeUnit;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.backend.cuda.CudnnPooling;
import org.convnet4j.tensor.DataType;
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
 * Max pooling forward and backward on the pooling layers of the benchmark networks
 * ({@link KernelWorkloads#POOLS}), ours against cuDNN's CUDNN_POOLING_MAX on the same card.
 *
 * <p>Ours: forward writes y and the int32 switches; backward routes dy through the switches. cuDNN:
 * forward writes y only; backward reads y, dy and x to find the maxima again. Each call ends with a
 * device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Pool#bytes()} = 4 * (|x| + |y|) bytes
 * per call for either pass (the least traffic: read the input, write the output), divided by the time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
public class PoolingBenchmark {

    @Param({"lenet5/pool1", "alexnet/pool1", "alexnet/pool2", "alexnet/pool5", "alexnet-owt/pool1"})
    public String pool;

    @Param({"ours", "cudnn"})
    public String impl;

    @Param({"auto"})
    public String device;

    @Param({"false"})
    public boolean tiny;

    private BenchDevice.Trial trial;
    private Backend backend;
    private String skipReason;
    private PoolSpec spec;
    private Tensor x;
    private Tensor y;
    private Tensor switches;
    private Tensor dy;
    private Tensor dx;
    private CudnnPooling cudnnPool;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        KernelWorkloads.Pool p = tiny ? KernelWorkloads.pool(pool).tiny() : KernelWorkloads.pool(pool);
        trial = BenchDevice.open(device, tiny);
        skipReason = trial.skipReason();
        if (skipReason == null && impl.equals("cudnn")) {
            skipReason = BenchDevice.cudnnUnavailable(trial);
        }
        if (skipReason != null) {
            BenchDevice.skip("PoolingBenchmark." + BenchDevice.method(params.getBenchmark()),
                    "pool=" + pool + ", impl=" + impl, skipReason);
            return;
        }
        backend = trial.backend();
        spec = p.spec();
        x = BenchDevice.random(backend, p.inputShape(), 1);
        y = backend.allocate(p.outputShape());
        switches = backend.allocate(p.outputShape(), DataType.INT32);
        dy = BenchDevice.random(backend, p.outputShape(), 2);
        dx = backend.allocate(p.inputShape());
        if (impl.equals("cudnn")) {
            cudnnPool = new CudnnPooling(BenchDevice.cudnn(), p.inputShape(), spec);
            cudnnPool.forward(x, y);
        } else {
            backend.maxPoolForward(x, spec, y, switches);
        }
        backend.synchronize();
    }

    @Benchmark
    public void forward(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnPool != null) {
            cudnnPool.forward(x, y);
        } else {
            backend.maxPoolForward(x, spec, y, switches);
        }
        backend.synchronize();
    }

    @Benchmark
    public void backward(Skips skips) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        if (cudnnPool != null) {
            cudnnPool.backward(y, dy, x, dx);
        } else {
            backend.maxPoolBackward(dy, switches, spec, dx);
        }
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {cudnnPool, x, y, switches, dy, dx, trial}) {
            if (c != null) {
                c.close();
            }
        }
    }
}
