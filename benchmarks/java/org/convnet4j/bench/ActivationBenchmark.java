package org.convnet4j.bench;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.cuda.CudnnActivation;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * ReLU forward (y = max(x, 0)) and backward (dx = dy where y &gt; 0) on {@link KernelWorkloads#RELUS}
 * (AlexNet's conv1 output at batch 128, and a 256 MiB array), ours against cuDNN's CUDNN_ACTIVATION_RELU.
 * Out of place on both sides. Each call ends with a device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads#bytesPerElement} = 8n bytes forward
 * (read x, write y), 12n backward (read y and dy, write dx), divided by the time (GB/s beside the ms). A
 * memory-bound kernel should come close to the device-to-device copy bandwidth ({@link MemoryBenchmark}).
 */
public class ActivationBenchmark extends OpBenchmark {

    @Param({"alexnet/relu1", "256MiB"})
    public String size;

    @Param({"ours", "cudnn"})
    public String impl;

    private Tensor x;
    private Tensor y;
    private Tensor dy;
    private Tensor dx;
    private CudnnActivation cudnnRelu;

    @Override
    protected String skipReason(String method) {
        return impl.equals("cudnn") ? cudnnUnavailable() : null;
    }

    @Override
    protected void setup(String method) {
        KernelWorkloads.Elements r = tiny ? KernelWorkloads.relu(size).tiny() : KernelWorkloads.relu(size);
        Shape shape = Shape.of(r.n());
        x = random(shape, 1);
        y = zeros(shape);
        dy = random(shape, 2);
        dx = zeros(shape);
        if (impl.equals("cudnn")) {
            // cuDNN sees an NCHW tensor of the same n elements
            Shape nchw = r.n() % 1024 == 0 ? Shape.of(r.n() / 1024, 1024, 1, 1) : Shape.of(1, r.n(), 1, 1);
            cudnnRelu = keep(new CudnnActivation(cudnn(), nchw));
        }
        backend.activationForward(Activation.RELU, x, y);
    }

    @Benchmark
    public void forward(Skips skips) {
        measure(skips, () -> {
            if (cudnnRelu != null) {
                cudnnRelu.forward(x, y);
            } else {
                backend.activationForward(Activation.RELU, x, y);
            }
        });
    }

    @Benchmark
    public void backward(Skips skips) {
        measure(skips, () -> {
            if (cudnnRelu != null) {
                cudnnRelu.backward(y, dy, x, dx);
            } else {
                backend.activationBackward(Activation.RELU, y, dy, dx);
            }
        });
    }
}
