package org.convnet4j.nn.optim;

import org.convnet4j.backend.Backend;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Tensor;

/** AdaGrad: g = grad + wd * param; sum += g^2; param -= lr * g / (sqrt(sum) + eps). State slot "sum_squares". */
public final class AdaGrad extends AbstractOptimizer {
    private final float eps;

    public AdaGrad(Backend backend, float lr, float eps, float weightDecay) {
        super("adagrad", backend, lr, weightDecay, "sum_squares");
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("adagrad: eps must be > 0, got " + eps);
        }
        this.eps = eps;
    }

    public float eps() {
        return eps;
    }

    @Override
    protected void update(Parameter p, Tensor[] slots, float lr, int step) {
        backend.adagradUpdate(p.value(), p.grad(), slots[0], lr, eps, weightDecay);
    }
}
