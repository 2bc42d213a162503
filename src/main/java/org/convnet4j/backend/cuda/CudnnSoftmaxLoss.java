package org.convnet4j.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_ACCURATE;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_MODE_INSTANCE;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSoftmaxForward;
import static org.convnet4j.backend.cuda.Cudnn.check;
import static org.convnet4j.backend.cuda.Cudnn.tensorDescriptor;

import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The softmax loss family's cuDNN baseline: cuDNN has no fused cross-entropy, so its nearest op,
 * {@code CUDNN_SOFTMAX_ACCURATE} per instance over the k values of each of n rows (logits [n, k],
 * described as [n, k, 1, 1]).
 */
public final class CudnnSoftmaxLoss implements AutoCloseable {
    private final Cudnn cudnn;
    private final Shape shape;
    private final cudnnTensorStruct desc;

    /** Softmax over the k values of each of n rows, on cudnn's device. */
    public CudnnSoftmaxLoss(Cudnn cudnn, int n, int k) {
        cudnn.begin();
        this.cudnn = cudnn;
        this.shape = Shape.of(n, k);
        this.desc = tensorDescriptor(Shape.of(n, k, 1, 1));
    }

    /** probs = softmax(logits) per row, max-subtracted (CUDNN_SOFTMAX_ACCURATE). */
    public void forward(Tensor logits, Tensor probs) {
        cudnn.begin();
        check(cudnnSoftmaxForward(cudnn.handle(), CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE, cudnn.one(),
                desc, cudnn.at(logits, shape, "logits"), cudnn.zero(), desc, cudnn.at(probs, shape, "probs")),
                "cudnnSoftmaxForward");
    }

    @Override
    public void close() {
        cudnnDestroyTensorDescriptor(desc);
    }
}
