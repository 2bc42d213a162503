package org.convnet4j.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_NOT_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX;
import static org.bytedeco.cuda.global.cudnn.cudnnCreatePoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyPoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetPooling2dDescriptor;
import static org.convnet4j.backend.cuda.Cudnn.check;
import static org.convnet4j.backend.cuda.Cudnn.tensorDescriptor;

import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The pooling family's cuDNN baseline: {@code CUDNN_POOLING_MAX} of x [N,C,H,W] with FLOOR output sizes
 * (cuDNN's), padded positions never winning (as ours); a pooling descriptor with its input and output
 * tensor descriptors.
 */
public final class CudnnPooling implements AutoCloseable {
    private final Cudnn cudnn;
    private final Shape xShape;
    private final Shape yShape;
    private final cudnnTensorStruct xDesc;
    private final cudnnTensorStruct yDesc;
    private final cudnnPoolingStruct desc = new cudnnPoolingStruct();

    /** Max pooling of x [N,C,H,W] on cudnn's device. */
    public CudnnPooling(Cudnn cudnn, Shape x, PoolSpec spec) {
        cudnn.begin();
        this.cudnn = cudnn;
        this.xShape = x;
        this.yShape = spec.withRounding(OutputRounding.FLOOR).outputShape("cudnn pooling", x);
        this.xDesc = tensorDescriptor(x);
        this.yDesc = tensorDescriptor(yShape);
        check(cudnnCreatePoolingDescriptor(desc), "cudnnCreatePoolingDescriptor");
        check(cudnnSetPooling2dDescriptor(desc, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, spec.kernelH(),
                spec.kernelW(), spec.padH(), spec.padW(), spec.strideH(), spec.strideW()),
                "cudnnSetPooling2dDescriptor");
    }

    public Shape outputShape() {
        return yShape;
    }

    /** y = the window maxima (overwritten). */
    public void forward(Tensor x, Tensor y) {
        cudnn.begin();
        check(cudnnPoolingForward(cudnn.handle(), desc, cudnn.one(), xDesc, cudnn.at(x, xShape, "x"), cudnn.zero(),
                yDesc, cudnn.at(y, yShape, "y")), "cudnnPoolingForward");
    }

    /** dx from dy (overwritten); cuDNN finds the maxima again from x and y (it keeps no switches). */
    public void backward(Tensor y, Tensor dy, Tensor x, Tensor dx) {
        cudnn.begin();
        check(cudnnPoolingBackward(cudnn.handle(), desc, cudnn.one(), yDesc, cudnn.at(y, yShape, "y"), yDesc,
                cudnn.at(dy, yShape, "dy"), xDesc, cudnn.at(x, xShape, "x"), cudnn.zero(), xDesc,
                cudnn.at(dx, xShape, "dx")), "cudnnPoolingBackward");
    }

    @Override
    public void close() {
        cudnnDestroyTensorDescriptor(xDesc);
        cudnnDestroyTensorDescriptor(yDesc);
        cudnnDestroyPoolingDescriptor(desc);
    }
}
