package org.convnet4j.nn;

import org.convnet4j.backend.Activation;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * An element-wise activation: ReLU max(0, x), sigmoid 1/(1+e^-x) or tanh. Output shape = input shape
 * (any rank). Forward keeps its output y; backward uses y only: relu' = (y &gt; 0), sigmoid' = y(1-y),
 * tanh' = 1 - y^2. No parameters.
 */
public final class ActivationLayer extends AbstractLayer {
    private final Activation function;
    private Tensor y;

    public ActivationLayer(String name, Activation function) {
        super(name);
        if (function == null) {
            throw new IllegalArgumentException(name + ": activation function must not be null");
        }
        this.function = function;
    }

    public static ActivationLayer relu(String name) {
        return new ActivationLayer(name, Activation.RELU);
    }

    public static ActivationLayer sigmoid(String name) {
        return new ActivationLayer(name, Activation.SIGMOID);
    }

    public static ActivationLayer tanh(String name) {
        return new ActivationLayer(name, Activation.TANH);
    }

    public Activation function() {
        return function;
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        return input;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        Tensor y = buffer("y", out);
        backend().activationForward(function, x, y);
        this.y = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        Tensor dx = buffer("dx", y.shape());
        backend().activationBackward(function, y, dy, dx);
        return dx;
    }

    @Override
    public String toString() {
        return "ActivationLayer(" + name() + ": " + function + ")";
    }
}
