package org.convnet4j.nn.optim;

import org.convnet4j.backend.Backend;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Tensor;

/**
 * SGD with momentum, PyTorch's formulation: g = grad + wd * param; v = mu * v + g; then
 * param -= lr * v (classical, name "momentum") or param -= lr * (g + mu * v) (Nesterov, name "nesterov").
 * State slot "velocity", starting at zero.
 */
public final class Momentum extends AbstractOptimizer {
    private final float momentum;
    private final boolean nesterov;

    public Momentum(Backend backend, float lr, float momentum, float weightDecay, boolean nesterov) {
        super(nesterov ? "nesterov" : "momentum", backend, lr, weightDecay, "velocity");
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException(name() + ": momentum must be in [0, 1), got " + momentum);
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    public float momentum() {
        return momentum;
    }

    public boolean isNesterov() {
        return nesterov;
    }

    @Override
    protected void update(Parameter p, Tensor[] slots, float lr, int step) {
        backend.momentumUpdate(p.value(), p.grad(), slots[0], lr, momentum, weightDecay, nesterov);
    }
}
