package org.convnet4j.nn;

import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Batch normalization per channel, for x [N, C] (after a linear layer) or [N, C, H, W] (after a
 * convolution); output shape = input shape.
 * <pre>
 *   training:   xhat = (x - mean_batch) / sqrt(var_batch + eps)   (mean and biased variance over N, H, W)
 *               running = (1 - momentum) * running + momentum * batch   (running variance unbiased)
 *   evaluation: xhat = (x - running_mean) / sqrt(running_var + eps)
 *   y = gamma * xhat + beta
 * </pre>
 * Parameters: "name.gamma" [C] (starts at 1) and "name.beta" [C] (0), trainable; "name.running_mean"
 * [C] (0) and "name.running_var" [C] (1), state. Backward needs a training-mode forward.
 */
public final class BatchNorm extends AbstractLayer {
    private final float momentum;
    private final float eps;
    private final int channels;

    private Parameter gamma;
    private Parameter beta;
    private Parameter runningMean;
    private Parameter runningVar;
    private Tensor x;
    private Tensor y;
    private Tensor saveMean;
    private Tensor saveInvStd;
    private boolean lastTraining;

    private BatchNorm(Builder b) {
        super(b.name);
        this.momentum = b.momentum;
        this.eps = b.eps;
        this.channels = b.channels;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A batch normalization with momentum 0.1 and eps 1e-5 (PyTorch's defaults). */
    public static BatchNorm of(String name) {
        return builder().name(name).build();
    }

    public float momentum() {
        return momentum;
    }

    public float eps() {
        return eps;
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        if (input.rank() != 2 && input.rank() != 4) {
            throw new IllegalArgumentException(name() + ": input must be [N, C] or [N, C, H, W], got " + input);
        }
        int expected = gamma != null ? gamma.shape().dim(0) : channels;
        if (expected > 0 && input.dim(1) != expected) {
            throw new IllegalArgumentException(name() + ": input " + input + " has " + input.dim(1)
                    + " channels but the layer expects " + expected);
        }
        return input;
    }

    @Override
    protected void createParameters(Backend backend, Shape inputShape, Random rng) {
        Shape c = Shape.of(inputShape.dim(1));
        gamma = trainable("gamma", c);
        beta = trainable("beta", c);
        runningMean = state("running_mean", c);
        runningVar = state("running_var", c);
        backend.fill(gamma.value(), 1f);
        backend.fill(runningVar.value(), 1f);
    }

    public Parameter gamma() {
        checkInitialized();
        return gamma;
    }

    public Parameter beta() {
        checkInitialized();
        return beta;
    }

    public Parameter runningMean() {
        checkInitialized();
        return runningMean;
    }

    public Parameter runningVar() {
        checkInitialized();
        return runningVar;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        Tensor y = buffer("y", out);
        if (training) {
            Shape c = gamma.shape();
            saveMean = buffer("saveMean", c);
            saveInvStd = buffer("saveInvStd", c);
            backend().batchNormForwardTraining(x, gamma.value(), beta.value(), momentum, eps,
                    runningMean.value(), runningVar.value(), saveMean, saveInvStd, y);
        } else {
            backend().batchNormForwardInference(x, gamma.value(), beta.value(), runningMean.value(),
                    runningVar.value(), eps, y);
        }
        this.x = x;
        this.y = y;
        this.lastTraining = training;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        if (!lastTraining) {
            throw new IllegalStateException(name() + ": backward needs a training-mode forward (the last forward"
                    + " was in evaluation mode)");
        }
        Tensor dx = buffer("dx", x.shape());
        backend().batchNormBackward(x, dy, gamma.value(), saveMean, saveInvStd, dx, gamma.grad(), beta.grad());
        return dx;
    }

    @Override
    public String toString() {
        return "BatchNorm(" + name() + ": momentum " + momentum + ", eps " + eps + ")";
    }

    /** Builder: name is required; momentum 0.1 and eps 1e-5 by default. */
    public static final class Builder {
        private String name;
        private float momentum = 0.1f;
        private float eps = 1e-5f;
        private int channels;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Weight of the batch statistics in the running averages (default 0.1). */
        public Builder momentum(float momentum) {
            this.momentum = momentum;
            return this;
        }

        /** Added to the variance (default 1e-5). */
        public Builder eps(float eps) {
            this.eps = eps;
            return this;
        }

        /** Optional: the channels C this layer expects; when set, other inputs are rejected. */
        public Builder channels(int c) {
            this.channels = c;
            return this;
        }

        private void validate() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("BatchNorm: name is required");
            }
            if (!(momentum >= 0f && momentum <= 1f)) {
                throw new IllegalArgumentException("BatchNorm " + name + ": momentum must be in [0, 1], got " + momentum);
            }
            if (!(eps > 0f)) {
                throw new IllegalArgumentException("BatchNorm " + name + ": eps must be > 0, got " + eps);
            }
            if (channels < 0) {
                throw new IllegalArgumentException("BatchNorm " + name + ": channels must be >= 1, got " + channels);
            }
        }

        public BatchNorm build() {
            validate();
            return new BatchNorm(this);
        }
    }
}
