package org.convnet4j.nn;

import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * A named tensor a layer owns and a checkpoint saves: a trainable weight with its gradient, or
 * non-trainable state such as batch normalization's running statistics (grad is null).
 * Names are unique within a network ("conv1.W", "bn1.running_mean").
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private final Tensor value;
    private final Tensor grad;

    private Parameter(String name, Tensor value, Tensor grad) {
        this.name = name;
        this.value = value;
        this.grad = grad;
    }

    /** A trainable parameter: value and a zeroed gradient of the same shape. */
    public static Parameter trainable(Backend backend, String name, Shape shape) {
        return new Parameter(name, backend.allocate(shape), backend.allocate(shape));
    }

    /** Non-trainable state: value only. */
    public static Parameter state(Backend backend, String name, Shape shape) {
        return new Parameter(name, backend.allocate(shape), null);
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    /** The gradient, accumulated by backward; null for non-trainable state. */
    public Tensor grad() {
        return grad;
    }

    public boolean isTrainable() {
        return grad != null;
    }

    public Shape shape() {
        return value.shape();
    }

    @Override
    public void close() {
        value.close();
        if (grad != null) {
            grad.close();
        }
    }

    @Override
    public String toString() {
        return name + value.shape();
    }
}
