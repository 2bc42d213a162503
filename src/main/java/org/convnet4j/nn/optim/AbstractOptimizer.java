package org.convnet4j.nn.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convnet4j.backend.Backend;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Tensor;

/**
 * Step counting, learning rate, weight decay and lazily allocated per-parameter state slots, shared by
 * the optimizers. A subclass names its slots and implements {@link #update}.
 */
public abstract class AbstractOptimizer implements Optimizer {
    protected final Backend backend;
    protected final float weightDecay;
    private final String name;
    private final String[] slots;
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private float lr;
    private int steps;
    private boolean closed;

    protected AbstractOptimizer(String name, Backend backend, float lr, float weightDecay, String... slots) {
        if (backend == null) {
            throw new IllegalArgumentException(name + ": backend must not be null");
        }
        checkLearningRate(name, lr);
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException(name + ": weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.name = name;
        this.backend = backend;
        this.lr = lr;
        this.weightDecay = weightDecay;
        this.slots = slots.clone();
    }

    private static void checkLearningRate(String name, float lr) {
        if (!(lr > 0f) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException(name + ": learning rate must be finite and > 0, got " + lr);
        }
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final void step(List<Parameter> parameters) {
        checkOpen();
        if (parameters == null) {
            throw new IllegalArgumentException(name + ": parameters must not be null");
        }
        steps++;
        for (Parameter p : parameters) {
            if (!p.isTrainable()) {
                continue;
            }
            Tensor[] s = new Tensor[slots.length];
            for (int i = 0; i < slots.length; i++) {
                s[i] = slot(p, slots[i]);
            }
            update(p, s, lr, steps);
        }
    }

    /**
     * Updates one trainable parameter in place.
     *
     * @param slots this parameter's state tensors, in the order the constructor named them
     * @param step  the step count including this step (1 on the first)
     */
    protected abstract void update(Parameter p, Tensor[] slots, float lr, int step);

    private Tensor slot(Parameter p, String slot) {
        String key = p.name() + "." + slot;
        Tensor t = state.get(key);
        if (t == null) {
            t = backend.allocate(p.shape());
            state.put(key, t);
        } else if (!t.shape().equals(p.shape())) {
            throw new IllegalArgumentException(name + ": parameter " + p.name() + " has shape " + p.shape()
                    + " but its optimizer state " + key + " has " + t.shape());
        }
        return t;
    }

    @Override
    public final int steps() {
        return steps;
    }

    @Override
    public final Map<String, Tensor> state() {
        checkOpen();
        return Collections.unmodifiableMap(state);
    }

    /**
     * Allocates (zeroed) the state of every trainable parameter without updating anything, so that
     * {@link #state()} lists it before a checkpoint is loaded into it.
     */
    public final void allocateState(List<Parameter> parameters) {
        checkOpen();
        for (Parameter p : parameters) {
            if (p.isTrainable()) {
                for (String s : slots) {
                    slot(p, s);
                }
            }
        }
    }

    @Override
    public final void restoreSteps(int steps) {
        checkOpen();
        if (steps < 0) {
            throw new IllegalArgumentException(name + ": steps must be >= 0, got " + steps);
        }
        this.steps = steps;
    }

    @Override
    public final float learningRate() {
        return lr;
    }

    @Override
    public final void setLearningRate(float lr) {
        checkLearningRate(name, lr);
        this.lr = lr;
    }

    public final float weightDecay() {
        return weightDecay;
    }

    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name + " optimizer used after close");
        }
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Tensor t : state.values()) {
            t.close();
        }
        state.clear();
    }

    @Override
    public String toString() {
        return name + "(lr " + lr + ", weight decay " + weightDecay + ")";
    }
}
