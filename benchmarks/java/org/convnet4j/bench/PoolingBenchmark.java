package org.convnet4j.bench;

import org.convnet4j.backend.PoolSpec;
import org.convnet4j.backend.cuda.CudnnPooling;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Max pooling forward and backward on the pooling layers of the benchmark networks
 * ({@link KernelWorkloads#POOLS}), ours against cuDNN's CUDNN_POOLING_MAX on the same card.
 *
 * <p>Ours: forward writes y and the int32 switches; backward routes dy through the switches. cuDNN:
 * forward writes y only; backward reads y, dy and x to find the maxima again. Each call ends with a
 * device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Pool#bytes()} = 4 * (|x| + |y|) bytes
 * per call for either pass (the least traffic: read the input, write the output), divided by the time
 * (GB/s beside the ms).
 */
public class PoolingBenchmark extends OpBenchmark {

    @Param({"lenet5/pool1", "alexnet/pool1", "alexnet/pool2", "alexnet/pool5", "alexnet-owt/pool1"})
    public String pool;

    @Param({"ours", "cudnn"})
    public String impl;

    private PoolSpec spec;
    private Tensor x;
    private Tensor y;
    private Tensor switches;
    private Tensor dy;
    private Tensor dx;
    private CudnnPooling cudnnPool;

    @Override
    protected String skipReason(String method) {
        return impl.equals("cudnn") ? cudnnUnavailable() : null;
    }

    @Override
    protected void setup(String method) {
        KernelWorkloads.Pool p = tiny ? KernelWorkloads.pool(pool).tiny() : KernelWorkloads.pool(pool);
        spec = p.spec();
        x = random(p.inputShape(), 1);
        y = zeros(p.outputShape());
        switches = intZeros(p.outputShape());
        dy = random(p.outputShape(), 2);
        dx = zeros(p.inputShape());
        if (impl.equals("cudnn")) {
            cudnnPool = keep(new CudnnPooling(cudnn(), p.inputShape(), spec));
            cudnnPool.forward(x, y);
        } else {
            backend.maxPoolForward(x, spec, y, switches);
        }
    }

    @Benchmark
    public void forward(Skips skips) {
        measure(skips, () -> {
            if (cudnnPool != null) {
                cudnnPool.forward(x, y);
            } else {
                backend.maxPoolForward(x, spec, y, switches);
            }
        });
    }

    @Benchmark
    public void backward(Skips skips) {
        measure(skips, () -> {
            if (cudnnPool != null) {
                cudnnPool.backward(y, dy, x, dx);
            } else {
                backend.maxPoolBackward(dy, switches, spec, dx);
            }
        });
    }
}
