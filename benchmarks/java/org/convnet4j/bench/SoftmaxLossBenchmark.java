package org.convnet4j.bench;

import java.util.SplittableRandom;
import org.convnet4j.backend.cuda.CudnnSoftmaxLoss;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Softmax cross-entropy on logits [N, K] ({@link KernelWorkloads#SOFTMAXES}: LeNet's and AlexNet's heads
 * and bench_torch.py's 4096 x 1000). Forward: ours computes the softmax and the mean loss on the device;
 * cuDNN's nearest op is cudnnSoftmaxForward (CUDNN_SOFTMAX_ACCURATE, per instance), which computes the
 * probabilities without the loss. Backward: ours writes (p - onehot) / N; cuDNN has no fused
 * cross-entropy gradient, so its backward trials are skipped. Each call ends with a device synchronization.
 *
 * <p>Throughput (computed by the report): {@link KernelWorkloads.Softmax#bytes()} = 8 * N * K bytes per
 * call (read N*K floats, write N*K floats), divided by the time (GB/s beside the ms).
 */
public class SoftmaxLossBenchmark extends OpBenchmark {

    @Param({"lenet5/64x10", "alexnet/128x1000", "4096x1000"})
    public String shape;

    @Param({"ours", "cudnn"})
    public String impl;

    private Tensor logits;
    private Tensor labels;
    private Tensor probs;
    private Tensor loss;
    private Tensor dlogits;
    private CudnnSoftmaxLoss cudnnSoftmax;

    @Override
    protected String skipReason(String method) {
        if (!impl.equals("cudnn")) {
            return null;
        }
        return method.equals("backward") ? "cuDNN has no softmax cross-entropy gradient" : cudnnUnavailable();
    }

    @Override
    protected void setup(String method) {
        KernelWorkloads.Softmax s = tiny ? KernelWorkloads.softmax(shape).tiny() : KernelWorkloads.softmax(shape);
        logits = random(Shape.of(s.n(), s.k()), 1);
        int[] l = new int[s.n()];
        SplittableRandom rng = new SplittableRandom(2);
        for (int i = 0; i < l.length; i++) {
            l[i] = rng.nextInt(s.k());
        }
        labels = keep(backend.intTensor(Shape.of(s.n()), l));
        probs = zeros(Shape.of(s.n(), s.k()));
        loss = zeros(Shape.of(1));
        dlogits = zeros(Shape.of(s.n(), s.k()));
        if (impl.equals("cudnn")) {
            cudnnSoftmax = keep(new CudnnSoftmaxLoss(cudnn(), s.n(), s.k()));
        }
        backend.softmaxCrossEntropyForward(logits, labels, probs, loss);
    }

    @Benchmark
    public void forward(Skips skips) {
        measure(skips, () -> {
            if (cudnnSoftmax != null) {
                cudnnSoftmax.forward(logits, probs);
            } else {
                backend.softmaxCrossEntropyForward(logits, labels, probs, loss);
            }
        });
    }

    @Benchmark
    public void backward(Skips skips) {
        measure(skips, () -> backend.softmaxCrossEntropyBackward(probs, labels, dlogits));
    }
}
