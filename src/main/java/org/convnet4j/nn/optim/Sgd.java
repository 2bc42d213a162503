package org.convnet4j.nn.optim;

import org.convnet4j.backend.Backend;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Tensor;

/** Plain stochastic gradient descent: g = grad + wd * param; param -= lr * g. No state. */
public final class Sgd extends AbstractOptimizer {

    public Sgd(Backend backend, float lr, float weightDecay) {
        super("sgd", backend, lr, weightDecay);
    }

    @Override
    protected void update(Parameter p, Tensor[] slots, float lr, int step) {
        backend.sgdUpdate(p.value(), p.grad(), lr, weightDecay);
    }
}
