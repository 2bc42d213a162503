package org.convnet4j.nn;

import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.DropoutMask;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Inverted dropout. In training, y = x * mask with mask[i] = 0 (probability p) or 1/(1-p), so that
 * evaluation needs no rescaling; in evaluation, y = x (the input tensor itself is returned). Output
 * shape = input shape (any rank). No parameters.
 *
 * <p>Each training forward uses a fresh mask seed derived from the layer's seed and a counter of
 * training forwards ({@link #maskSeed}), and the mask itself is {@link DropoutMask}'s, so a run is
 * reproducible and identical on every backend. The layer's seed is drawn from the initialization
 * Random unless the builder sets one. {@link #forwardCount} and {@link #setForwardCount} let a resumed
 * run, or the gradient checker, replay masks.
 */
public final class Dropout extends AbstractLayer {
    private final float p;
    private final Long fixedSeed;
    private long seed;
    private long forwardCount;
    private Tensor y;
    private Tensor mask;
    private boolean lastTraining;
    private Tensor lastOutput;

    private Dropout(Builder b) {
        super(b.name);
        this.p = b.p;
        this.fixedSeed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A dropout layer with drop probability p and a seed drawn at initialization. */
    public static Dropout of(String name, float p) {
        return builder().name(name).probability(p).build();
    }

    public float probability() {
        return p;
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        return input;
    }

    @Override
    protected void createParameters(Backend backend, Shape inputShape, Random rng) {
        long drawn = rng.nextLong();
        seed = fixedSeed != null ? fixedSeed : drawn;
    }

    /** The mask seed of training forward number count (0-based): splitmix64 of the layer seed and count. */
    public long maskSeed(long count) {
        long z = seed + (count + 1) * 0xD1B54A32D192ED03L;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /** Training forwards done so far. */
    public long forwardCount() {
        checkOpen();
        return forwardCount;
    }

    /** Sets the training-forward counter, so that the next training forward uses maskSeed(count). */
    public void setForwardCount(long count) {
        checkOpen();
        if (count < 0) {
            throw new IllegalArgumentException(name() + ": forward count must be >= 0, got " + count);
        }
        this.forwardCount = count;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        lastTraining = training;
        if (!training || p == 0f) {
            lastOutput = x;
            if (training) {
                forwardCount++;
            }
            return x;
        }
        Tensor y = buffer("y", out);
        Tensor mask = buffer("mask", out);
        backend().dropoutForward(x, p, maskSeed(forwardCount++), mask, y);
        this.y = y;
        this.mask = mask;
        lastOutput = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, lastOutput);
        if (!lastTraining || p == 0f) {
            return dy;
        }
        Tensor dx = buffer("dx", y.shape());
        backend().dropoutBackward(dy, mask, dx);
        return dx;
    }

    @Override
    public String toString() {
        return "Dropout(" + name() + ": p=" + p + ")";
    }

    /** Builder: name is required; probability defaults to 0.5; seed to one drawn at initialization. */
    public static final class Builder {
        private String name;
        private float p = 0.5f;
        private Long seed;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Drop probability p, 0 &lt;= p &lt; 1 (default 0.5). */
        public Builder probability(float p) {
            this.p = p;
            return this;
        }

        /** A fixed layer seed instead of one drawn from the initialization Random. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        private void validate() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("Dropout: name is required");
            }
            if (!(p >= 0f && p < 1f)) {
                throw new IllegalArgumentException("Dropout " + name + ": probability must be in [0, 1), got " + p);
            }
        }

        public Dropout build() {
            validate();
            return new Dropout(this);
        }
    }
}
