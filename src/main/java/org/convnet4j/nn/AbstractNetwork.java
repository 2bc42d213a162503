package org.convnet4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;

/**
 * What {@link Sequential} and {@link Graph} share: the name, the backend they were initialized on (once),
 * and being closed (once, closing every layer).
 */
public abstract class AbstractNetwork implements Network {
    private final String name;
    private Backend backend;
    private boolean closed;

    /** kind names the class in the error for a blank name ("Sequential", "Graph"). */
    protected AbstractNetwork(String name, String kind) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a " + kind + " needs a non-blank name");
        }
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    /** Checks the arguments, then {@link #initializeLayers}; a network is initialized once. */
    @Override
    public final void initialize(Backend backend, Shape inputShape, Random rng) {
        checkOpen();
        if (this.backend != null) {
            throw new IllegalStateException(name + ": already initialized");
        }
        if (backend == null || inputShape == null || rng == null) {
            throw new IllegalArgumentException(name + ": initialize needs a backend, an input shape and a Random");
        }
        initializeLayers(backend, inputShape, rng);
        this.backend = backend;
    }

    /** Initializes every layer in forward order, or IllegalArgumentException naming the layer and shapes. */
    protected abstract void initializeLayers(Backend backend, Shape inputShape, Random rng);

    /** Every layer's parameters, in {@link #layers()} order. */
    @Override
    public final List<Parameter> parameters() {
        checkOpen();
        List<Parameter> all = new ArrayList<>();
        for (Layer l : layers()) {
            all.addAll(l.parameters());
        }
        return List.copyOf(all);
    }

    @Override
    public final Backend backend() {
        checkInitialized();
        return backend;
    }

    @Override
    public final boolean isInitialized() {
        return backend != null;
    }

    public final boolean isClosed() {
        return closed;
    }

    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name + ": network used after close");
        }
    }

    protected final void checkInitialized() {
        checkOpen();
        if (backend == null) {
            throw new IllegalStateException(name + ": network used before initialize");
        }
    }

    /** Closes every layer (and what else the network holds); idempotent. */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeLayers();
    }

    /** Closes the layers and buffers, once. */
    protected abstract void closeLayers();
}
