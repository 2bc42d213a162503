package org.convnet4j.nn;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Global average pooling (ResNet's and GoogLeNet's head): input [N, C, H, W], output [N, C, 1, 1], each
 * plane's mean; backward spreads dy / (H*W) over the plane. A separate layer rather than a {@link Pool2d}
 * mode: it has no window, so it fits any input size. No parameters.
 */
public final class GlobalAvgPool extends AbstractLayer {
    private Tensor y;
    private Shape inputShape;

    public GlobalAvgPool(String name) {
        super(name);
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        if (input.rank() != 4) {
            throw new IllegalArgumentException(name() + ": global average pooling needs [N, C, H, W], got " + input);
        }
        return Shape.of(input.n(), input.c(), 1, 1);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        inputShape = x.shape();
        y = buffer("y", out);
        backend().globalAvgPoolForward(x, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        Tensor dx = buffer("dx", inputShape);
        backend().globalAvgPoolBackward(dy, dx);
        return dx;
    }
}
