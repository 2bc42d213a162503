package org.convnet4j.nn;

import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Fully connected layer: y = x * W^T + b.
 *
 * <p>Input x of any rank, flattened per item: [N, K] with K = the product of the dimensions after the
 * batch (a [N, 256, 6, 6] input has K = 9216); weights W [M, K] ("name.W"); bias b [M] ("name.b",
 * unless turned off); output y [N, M]. Backward: dW += dy^T * x, db += column sums of dy,
 * dx = dy * W in the input's shape.
 *
 * <pre>
 *   Linear fc1 = Linear.builder().name("fc1").units(120).build();
 * </pre>
 */
public final class Linear extends AbstractLayer {
    private final int units;
    private final boolean bias;
    private final Initializer initializer;
    private final int inFeatures;

    private Parameter weight;
    private Parameter biasParameter;
    private Tensor x;
    private Tensor y;

    private Linear(Builder b) {
        super(b.name);
        this.units = b.units;
        this.bias = b.bias;
        this.initializer = b.initializer;
        this.inFeatures = b.inFeatures;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Output features M. */
    public int units() {
        return units;
    }

    public boolean hasBias() {
        return bias;
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        int k = input.sizePerItem();
        int expected = weight != null ? weight.shape().dim(1) : inFeatures;
        if (expected > 0 && k != expected) {
            throw new IllegalArgumentException(name() + ": input " + input + " has " + k
                    + " features per item but the layer expects " + expected + " (weights [" + units + ", "
                    + expected + "])");
        }
        return Shape.of(input.n(), units);
    }

    @Override
    protected void createParameters(Backend backend, Shape inputShape, Random rng) {
        int k = inputShape.sizePerItem();
        weight = trainable("W", Shape.of(units, k));
        float[] values = new float[units * k];
        initializer.fill(values, k, units, rng);
        backend.upload(values, weight.value());
        if (bias) {
            biasParameter = trainable("b", Shape.of(units));
        }
    }

    public Parameter weight() {
        checkInitialized();
        return weight;
    }

    /** The bias parameter, or null when the layer has none. */
    public Parameter bias() {
        checkInitialized();
        return biasParameter;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        Tensor y = buffer("y", out);
        backend().linearForward(x, weight.value(), bias ? biasParameter.value() : null, y);
        this.x = x;
        this.y = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        return backward(dy, true);
    }

    /** Without inputGradient, only dW and db: no dx = dy * W product. */
    @Override
    public Tensor backward(Tensor dy, boolean inputGradient) {
        checkGradient(dy, y);
        Tensor dx = inputGradient ? buffer("dx", x.shape()) : null;
        backend().linearBackward(x, weight.value(), dy, dx, weight.grad(), bias ? biasParameter.grad() : null);
        return dx;
    }

    @Override
    public String toString() {
        return "Linear(" + name() + ": " + units + " units" + (bias ? "" : ", no bias") + ", init " + initializer + ")";
    }

    /** Builder: name and units are required. */
    public static final class Builder {
        private String name;
        private int units;
        private boolean bias = true;
        private Initializer initializer = Initializer.he();
        private int inFeatures;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Output features M. */
        public Builder units(int units) {
            this.units = units;
            return this;
        }

        /** With or without the bias (default with). */
        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /** Weight initializer (default He). */
        public Builder initializer(Initializer initializer) {
            this.initializer = initializer;
            return this;
        }

        /** Optional: the features per item K this layer expects; when set, other inputs are rejected. */
        public Builder inFeatures(int k) {
            this.inFeatures = k;
            return this;
        }

        private void validate() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("Linear: name is required");
            }
            if (units < 1) {
                throw new IllegalArgumentException("Linear " + name + ": units must be >= 1, got " + units);
            }
            if (initializer == null) {
                throw new IllegalArgumentException("Linear " + name + ": initializer must not be null");
            }
            if (inFeatures < 0) {
                throw new IllegalArgumentException("Linear " + name + ": inFeatures must be >= 1, got " + inFeatures);
            }
        }

        public Linear build() {
            validate();
            return new Linear(this);
        }
    }
}
