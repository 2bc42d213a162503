package org.convnet4j.nn;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Flattens each item: input [N, d1, d2, ...], output [N, d1*d2*...]. The output is a reshape view of the
 * input (no copy), and backward returns a view of dy in the input's shape. No parameters.
 */
public final class Flatten extends AbstractLayer {
    private Tensor lastX;
    private Tensor y;
    private Tensor lastDy;
    private Tensor dx;

    public Flatten(String name) {
        super(name);
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        return Shape.of(input.n(), input.sizePerItem());
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        if (x != lastX || y == null || !y.shape().equals(out)) {
            y = x.reshape(out);
            lastX = x;
        }
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        if (dy != lastDy || dx == null) {
            dx = dy.reshape(lastX.shape());
            lastDy = dy;
        }
        return dx;
    }
}
