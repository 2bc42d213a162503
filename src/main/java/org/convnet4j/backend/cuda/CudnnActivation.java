package org.convnet4j.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_RELU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_NOT_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetActivationDescriptor;
import static org.convnet4j.backend.cuda.Cudnn.check;
import static org.convnet4j.backend.cuda.Cudnn.tensorDescriptor;

import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The activation family's cuDNN baseline: {@code CUDNN_ACTIVATION_RELU} on a tensor of one shape (any
 * rank: described as [N, size/N, 1, 1] unless NCHW); an activation descriptor and its tensor descriptor.
 */
public final class CudnnActivation implements AutoCloseable {
    private final Cudnn cudnn;
    private final Shape shape;
    private final cudnnTensorStruct desc;
    private final cudnnActivationStruct act = new cudnnActivationStruct();

    /** ReLU on tensors of this shape, on cudnn's device. */
    public CudnnActivation(Cudnn cudnn, Shape shape) {
        cudnn.begin();
        this.cudnn = cudnn;
        this.shape = shape;
        this.desc = tensorDescriptor(shape);
        check(cudnnCreateActivationDescriptor(act), "cudnnCreateActivationDescriptor");
        check(cudnnSetActivationDescriptor(act, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0),
                "cudnnSetActivationDescriptor");
    }

    /** y = max(x, 0). */
    public void forward(Tensor x, Tensor y) {
        cudnn.begin();
        check(cudnnActivationForward(cudnn.handle(), act, cudnn.one(), desc, cudnn.at(x, shape, "x"), cudnn.zero(),
                desc, cudnn.at(y, shape, "y")), "cudnnActivationForward");
    }

    /** dx = dy where y &gt; 0, else 0 (cuDNN's API also takes x). */
    public void backward(Tensor y, Tensor dy, Tensor x, Tensor dx) {
        cudnn.begin();
        check(cudnnActivationBackward(cudnn.handle(), act, cudnn.one(), desc, cudnn.at(y, shape, "y"), desc,
                cudnn.at(dy, shape, "dy"), desc, cudnn.at(x, shape, "x"), cudnn.zero(), desc,
                cudnn.at(dx, shape, "dx")), "cudnnActivationBackward");
    }

    @Override
    public void close() {
        cudnnDestroyTensorDescriptor(desc);
        cudnnDestroyActivationDescriptor(act);
    }
}
