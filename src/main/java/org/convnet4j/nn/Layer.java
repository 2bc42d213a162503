package org.convnet4j.nn;

import java.util.List;
import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * One layer contract, as in the book's layers.py: forward caches exactly what backward needs;
 * backward returns dX and accumulates the parameter gradients.
 *
 * <p>A layer is configured backend-free (its builder), then {@link #initialize}d once on a backend
 * for an input shape, which allocates its parameters; it allocates its output and gradient tensors on
 * the first forward and backward for a batch size and reuses them afterwards, so a training step
 * allocates nothing new after the first iteration. Tensors it returns belong to the layer and stay
 * valid until its next forward (or backward).
 */
public interface Layer extends AutoCloseable {

    /** Unique within a network; prefixes parameter names ("conv1" gives "conv1.W"). */
    String name();

    /**
     * The output shape for an input shape (batch included), or IllegalArgumentException naming this
     * layer, the shapes and, for convolution and pooling, the output-size formula.
     */
    Shape outputShape(Shape input);

    /**
     * Allocates parameters on backend and fills them from rng (same seed, same values on every backend).
     * inputShape includes a batch dimension; only its other dimensions matter.
     */
    void initialize(Backend backend, Shape inputShape, Random rng);

    /** y = f(x). training selects dropout's and batch normalization's training behaviour. */
    Tensor forward(Tensor x, boolean training);

    /** dx from dy (the shape of the last forward's output); accumulates parameter gradients. */
    Tensor backward(Tensor dy);

    /**
     * {@link #backward(Tensor)}, or, when inputGradient is false, only the parameter gradients, returning
     * null: the first trainable layer of a network needs no dx, since its input is the data, and skipping it
     * saves a whole backward-data pass (AlexNet's conv1: a 224x224 col2im and its GEMM). The default
     * computes dx and drops it; Conv2d and Linear skip it.
     */
    default Tensor backward(Tensor dy, boolean inputGradient) {
        Tensor dx = backward(dy);
        return inputGradient ? dx : null;
    }

    /** Trainable parameters and saved state, in a fixed order. */
    default List<Parameter> parameters() {
        return List.of();
    }

    /** Frees parameters and cached tensors. */
    @Override
    void close();
}
