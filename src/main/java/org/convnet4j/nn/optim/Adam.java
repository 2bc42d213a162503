package org.convnet4j.nn.optim;

import org.convnet4j.backend.Backend;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Tensor;

/**
 * Adam (Kingma and Ba) with L2 weight decay added to the gradient (not AdamW):
 * <pre>
 *   g = grad + wd * param;  m = beta1 m + (1-beta1) g;  v = beta2 v + (1-beta2) g^2
 *   param -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps),   t = 1, 2, ...
 * </pre>
 * State slots "m" and "v"; t is {@link #steps()}.
 */
public final class Adam extends AbstractOptimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;

    public Adam(Backend backend, float lr, float beta1, float beta2, float eps, float weightDecay) {
        super("adam", backend, lr, weightDecay, "m", "v");
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("adam: beta1 and beta2 must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("adam: eps must be > 0, got " + eps);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    @Override
    protected void update(Parameter p, Tensor[] slots, float lr, int step) {
        backend.adamUpdate(p.value(), p.grad(), slots[0], slots[1], lr, beta1, beta2, eps, weightDecay, step);
    }
}
