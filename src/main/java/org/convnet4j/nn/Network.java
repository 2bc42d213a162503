package org.convnet4j.nn;

import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * What the trainer, {@code bench}, checkpoints and the gradient checker need of a whole network, whatever
 * its topology: {@link Sequential} (a chain) and {@link Graph} (named nodes, branches that meet again) both
 * are one. A network is a {@link Layer}, so networks nest; its {@link #parameters()} come in a fixed order
 * (the order checkpoints store them in).
 */
public interface Network extends Layer {

    /** Initializes every layer on backend with new Random(seed), in forward order. */
    default void initialize(Backend backend, Shape inputShape, long seed) {
        initialize(backend, inputShape, new Random(seed));
    }

    /** The backend this network was initialized on; IllegalStateException before. */
    Backend backend();

    boolean isInitialized();

    /** The layers, in the order forward runs them (a nested network is one layer here). */
    List<Layer> layers();

    /** The input shape of each of {@link #layers()} for a network input shape, in the same order. */
    List<Shape> layerInputShapes(Shape input);

    /** The output shape of each step forward takes (each layer, and each merge of a graph), in order. */
    List<Shape> outputShapes(Shape input);

    /** {@link #forward(Tensor, boolean)} with every node's call made through probe. */
    Tensor forward(Tensor x, boolean training, NodeProbe probe);

    /** {@link #backward(Tensor, boolean)} with every node's call made through probe. */
    Tensor backward(Tensor dy, boolean inputGradient, NodeProbe probe);

    @Override
    default Tensor forward(Tensor x, boolean training) {
        return forward(x, training, NodeProbe.NONE);
    }

    @Override
    default Tensor backward(Tensor dy) {
        return backward(dy, true, NodeProbe.NONE);
    }

    /**
     * Backward through the network. With inputGradient false (a training step: the input is the data) no
     * gradient of the input is computed, nor of anything only the input leads to, and null is returned;
     * the parameter gradients are the same either way.
     */
    @Override
    default Tensor backward(Tensor dy, boolean inputGradient) {
        return backward(dy, inputGradient, NodeProbe.NONE);
    }

    /** One step of a forward pass: a node's (or layer's) name and kind, as {@link NodeProbe} gets them. */
    record Step(String name, String type) {
    }

    /**
     * For a training step whose loss was NaN or infinite: runs forward on x again and returns the first step
     * whose output holds a NaN or an infinity (empty when every output is finite). It downloads every output,
     * so it belongs on that failure path only; with training true it advances dropout's counters like any
     * forward.
     */
    default Optional<Step> firstNonFiniteStep(Tensor x, boolean training) {
        Step[] first = new Step[1];
        forward(x, training, new NodeProbe() {
            @Override
            public <T> T run(String node, String type, boolean backward, Supplier<T> call) {
                T out = call.get();
                if (first[0] == null && !isFinite((Tensor) out)) {
                    first[0] = new Step(node, type);
                }
                return out;
            }
        });
        return Optional.ofNullable(first[0]);
    }

    /**
     * The first trainable parameter, in the order a backward pass reaches them (last layer first), whose
     * gradient holds a NaN or an infinity; empty when every gradient is finite. Downloads every gradient.
     */
    default Optional<Parameter> firstNonFiniteGradient() {
        List<Parameter> all = parameters();
        for (int i = all.size() - 1; i >= 0; i--) {
            Parameter p = all.get(i);
            if (p.isTrainable() && !isFinite(p.grad())) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private boolean isFinite(Tensor t) {
        for (float v : backend().toFloatArray(t)) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** Fills every trainable parameter's gradient with 0. */
    default void zeroGrad() {
        for (Parameter p : parameters()) {
            if (p.isTrainable()) {
                backend().fill(p.grad(), 0f);
            }
        }
    }

    /** Number of trainable scalars. */
    default long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            if (p.isTrainable()) {
                n += p.shape().size();
            }
        }
        return n;
    }
}
