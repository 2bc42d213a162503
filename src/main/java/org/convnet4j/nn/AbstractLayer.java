package org.convnet4j.nn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * What every layer shares: its name, the backend and input shape it was initialized for, its
 * parameters, and the output and gradient buffers it reuses from one batch to the next (re-allocated
 * only when the batch size changes). Subclasses implement {@link #outputShape}, {@link #createParameters},
 * {@link #forward} and {@link #backward}.
 */
public abstract class AbstractLayer implements Layer {
    private final String name;
    private final List<Parameter> parameters = new ArrayList<>();
    private final Map<String, Tensor> buffers = new HashMap<>();
    private Backend backend;
    private Shape itemShape;
    /** The output shape for one item of the input shape initialize checked. */
    private Shape outputItemShape;
    private boolean closed;

    protected AbstractLayer(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a layer needs a non-blank name");
        }
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    /**
     * Checks inputShape (through {@link #outputShape}), then allocates and fills the parameters.
     * A layer is initialized once.
     */
    @Override
    public final void initialize(Backend backend, Shape inputShape, Random rng) {
        checkOpen();
        if (this.backend != null) {
            throw new IllegalStateException(name + ": already initialized");
        }
        if (backend == null || inputShape == null || rng == null) {
            throw new IllegalArgumentException(name + ": initialize needs a backend, an input shape and a Random");
        }
        this.outputItemShape = itemShape(outputShape(inputShape));
        this.backend = backend;
        this.itemShape = itemShape(inputShape);
        createParameters(backend, inputShape, rng);
    }

    /** Allocates and fills this layer's parameters with {@link #trainable} and {@link #state}; none by default. */
    protected void createParameters(Backend backend, Shape inputShape, Random rng) {
    }

    /** A trainable parameter named "layer.suffix", registered with this layer. */
    protected final Parameter trainable(String suffix, Shape shape) {
        Parameter p = Parameter.trainable(backend, name + "." + suffix, shape);
        parameters.add(p);
        return p;
    }

    /** A non-trainable state parameter named "layer.suffix", registered with this layer. */
    protected final Parameter state(String suffix, Shape shape) {
        Parameter p = Parameter.state(backend, name + "." + suffix, shape);
        parameters.add(p);
        return p;
    }

    @Override
    public final List<Parameter> parameters() {
        checkOpen();
        return List.copyOf(parameters);
    }

    /** The backend this layer was initialized on; IllegalStateException before initialize or after close. */
    public final Backend backend() {
        checkInitialized();
        return backend;
    }

    public final boolean isInitialized() {
        return backend != null;
    }

    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name + ": layer used after close");
        }
    }

    protected final void checkInitialized() {
        checkOpen();
        if (backend == null) {
            throw new IllegalStateException(name + ": layer used before initialize");
        }
    }

    /**
     * Checks that x has the per-item shape this layer was initialized for (any batch size) and returns
     * its output shape, derived once at initialize: the backend's op checks the rest on every call.
     */
    protected final Shape checkInput(Tensor x) {
        checkInitialized();
        if (x == null) {
            throw new IllegalArgumentException(name + ": input tensor is null");
        }
        x.checkOpen();
        Shape s = x.shape();
        if (!itemShape(s).equals(itemShape)) {
            throw new IllegalArgumentException(name + ": input " + s + " does not match the shape "
                    + batchShape(itemShape) + " the layer was initialized for");
        }
        return outputItemShape.withBatch(s.n());
    }

    /** Checks that dy has the shape of the last forward's output. */
    protected final void checkGradient(Tensor dy, Tensor lastOutput) {
        checkInitialized();
        if (lastOutput == null) {
            throw new IllegalStateException(name + ": backward before forward");
        }
        if (dy == null) {
            throw new IllegalArgumentException(name + ": gradient tensor is null");
        }
        dy.checkOpen();
        if (!dy.shape().equals(lastOutput.shape())) {
            throw new IllegalArgumentException(name + ": gradient " + dy.shape()
                    + " does not match the last forward's output " + lastOutput.shape());
        }
    }

    /**
     * A FLOAT32 tensor of this shape kept under key: the same tensor on every call while the shape stays
     * the same, a new one (the old one closed) when it changes.
     */
    protected final Tensor buffer(String key, Shape shape) {
        return buffer(key, shape, DataType.FLOAT32);
    }

    /** As {@link #buffer(String, Shape)} with a data type. */
    protected final Tensor buffer(String key, Shape shape, DataType dataType) {
        checkInitialized();
        Tensor t = buffers.get(key);
        if (t != null && t.shape().equals(shape) && t.dataType() == dataType) {
            return t;
        }
        if (t != null) {
            t.close();
        }
        t = backend.allocate(shape, dataType);
        buffers.put(key, t);
        return t;
    }

    /** Frees parameters and buffers; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Tensor t : buffers.values()) {
            t.close();
        }
        buffers.clear();
        for (Parameter p : parameters) {
            p.close();
        }
    }

    public final boolean isClosed() {
        return closed;
    }

    private static Shape itemShape(Shape s) {
        return s.withBatch(1);
    }

    /** "[N, C, H, W]" with the numbers of s after the batch dimension, for messages. */
    static String batchShape(Shape s) {
        StringBuilder b = new StringBuilder("[N");
        for (int i = 1; i < s.rank(); i++) {
            b.append(", ").append(s.dim(i));
        }
        return b.append(']').toString();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + name + ")";
    }
}
