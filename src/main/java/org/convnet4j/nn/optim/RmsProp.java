package org.convnet4j.nn.optim;

import org.convnet4j.backend.Backend;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Tensor;

/**
 * RMSProp: g = grad + wd * param; ms = decay * ms + (1 - decay) * g^2; param -= lr * g / (sqrt(ms) + eps).
 * State slot "mean_square", starting at zero (as in PyTorch).
 */
public final class RmsProp extends AbstractOptimizer {
    private final float decay;
    private final float eps;

    public RmsProp(Backend backend, float lr, float decay, float eps, float weightDecay) {
        super("rmsprop", backend, lr, weightDecay, "mean_square");
        if (!(decay >= 0f && decay < 1f)) {
            throw new IllegalArgumentException("rmsprop: decay must be in [0, 1), got " + decay);
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("rmsprop: eps must be > 0, got " + eps);
        }
        this.decay = decay;
        this.eps = eps;
    }

    public float decay() {
        return decay;
    }

    public float eps() {
        return eps;
    }

    @Override
    protected void update(Parameter p, Tensor[] slots, float lr, int step) {
        backend.rmspropUpdate(p.value(), p.grad(), slots[0], lr, decay, eps, weightDecay);
    }
}
