package org.convnet4j.nn;

import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * 2-D convolution (cross-correlation) by im2col and GEMM on the backend.
 *
 * <p>Input x [N, C, H, W]; weights W [FN, C/groups, FH, FW] (parameter "name.W"); bias b [FN] ("name.b", unless
 * turned off); output y [N, FN, OH, OW] with
 * <pre>
 *   OH = (H + 2*padH - dilationH*(FH-1) - 1) / strideH + 1,   OW likewise,
 * </pre>
 * which must be a whole number unless rounding is {@link OutputRounding#FLOOR}. Forward keeps a
 * reference to x for backward: dW += dy * col(x)^T, db += sums of dy, dx = col2im(W^T * dy). With
 * {@code groups(g)} (Caffe's {@code group}, PyTorch's {@code groups}) the channels and filters are cut into g
 * slices, each filter seeing only its slice's C/g input channels (see {@link ConvSpec}); C and FN must be
 * divisible by g.
 *
 * <pre>
 *   Conv2d conv1 = Conv2d.builder().name("conv1").filters(6).kernel(5).pad(2).build();
 * </pre>
 */
public final class Conv2d extends AbstractLayer {
    private final int filters;
    private final int kernelH;
    private final int kernelW;
    private final ConvSpec spec;
    private final boolean bias;
    private final Initializer initializer;
    private final int inChannels;

    private Parameter weight;
    private Parameter biasParameter;
    private Tensor x;
    private Tensor y;

    private Conv2d(Builder b) {
        super(b.name);
        this.filters = b.filters;
        this.kernelH = b.kernelH;
        this.kernelW = b.kernelW;
        this.spec = new ConvSpec(b.strideH, b.strideW, b.padH, b.padW, b.dilationH, b.dilationW, b.rounding,
                b.groups);
        this.bias = b.bias;
        this.initializer = b.initializer;
        this.inChannels = b.inChannels;
    }

    public static Builder builder() {
        return new Builder();
    }

    public int filters() {
        return filters;
    }

    public ConvSpec spec() {
        return spec;
    }

    public int kernelH() {
        return kernelH;
    }

    public int kernelW() {
        return kernelW;
    }

    public boolean hasBias() {
        return bias;
    }

    /**
     * The weight shape [FN, C/groups, FH, FW] for an NCHW input, whose C must be inChannels when that is set
     * and divisible by groups.
     */
    private Shape weightShape(Shape input) {
        int groups = spec.groups();
        if (inChannels > 0 && input.dim(1) != inChannels) {
            throw new IllegalArgumentException(name() + ": input " + input + " has " + input.dim(1)
                    + " channels but the layer expects " + inChannels + " (weights [" + filters + ", "
                    + inChannels / groups + ", " + kernelH + ", " + kernelW + "])");
        }
        if (input.dim(1) % groups != 0) {
            throw new IllegalArgumentException(name() + ": input " + input + " has " + input.dim(1)
                    + " channels, which groups " + groups + " does not divide");
        }
        return Shape.of(filters, input.dim(1) / groups, kernelH, kernelW);
    }

    /**
     * [N, FN, OH, OW] by {@link ConvSpec#outputShape}, which also rejects an input whose channels differ
     * from the weights'. Forward uses the shape derived at initialize (see {@link AbstractLayer#checkInput}).
     */
    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        if (input.rank() != 4) {
            throw new IllegalArgumentException(name() + ": input must be NCHW (rank 4), got " + input);
        }
        return spec.outputShape(name(), input, weight != null ? weight.shape() : weightShape(input));
    }

    @Override
    protected void createParameters(Backend backend, Shape inputShape, Random rng) {
        Shape ws = weightShape(inputShape);
        weight = trainable("W", ws);
        float[] values = new float[ws.size()];
        int fanIn = ws.dim(1) * kernelH * kernelW;
        int fanOut = filters * kernelH * kernelW;
        initializer.fill(values, fanIn, fanOut, rng);
        backend.upload(values, weight.value());
        if (bias) {
            biasParameter = trainable("b", Shape.of(filters));
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
        backend().conv2dForward(x, weight.value(), bias ? biasParameter.value() : null, spec, y);
        this.x = x;
        this.y = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        return backward(dy, true);
    }

    /** Without inputGradient, only dW and db: no backward-data pass. */
    @Override
    public Tensor backward(Tensor dy, boolean inputGradient) {
        checkGradient(dy, y);
        Tensor dx = inputGradient ? buffer("dx", x.shape()) : null;
        backend().conv2dBackward(x, dy, weight.value(), spec, dx, weight.grad(), bias ? biasParameter.grad() : null);
        return dx;
    }

    @Override
    public String toString() {
        return "Conv2d(" + name() + ": " + filters + " filters " + kernelH + "x" + kernelW + ", " + spec
                + (bias ? "" : ", no bias") + ", init " + initializer + ")";
    }

    /** Builder: name, filters and kernel are required; the rest default to stride 1, pad 0, no dilation. */
    public static final class Builder extends WindowBuilder<Builder> {
        private int filters;
        private int dilationH = 1;
        private int dilationW = 1;
        private int groups = 1;
        private boolean bias = true;
        private Initializer initializer = Initializer.he();
        private int inChannels;

        private Builder() {
            super(1);
        }

        /** Number of output channels FN. */
        public Builder filters(int filters) {
            this.filters = filters;
            return this;
        }

        public Builder dilation(int d) {
            return dilation(d, d);
        }

        public Builder dilation(int dh, int dw) {
            this.dilationH = dh;
            this.dilationW = dw;
            return this;
        }

        /**
         * Grouped convolution (default 1): channels and filters in g slices, filter f seeing only the input
         * channels of its slice; the input's channels and filters must be divisible by g. g = C is depthwise.
         */
        public Builder groups(int g) {
            this.groups = g;
            return this;
        }

        /** With or without the bias b (default with). */
        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /** Weight initializer (default He). */
        public Builder initializer(Initializer initializer) {
            this.initializer = initializer;
            return this;
        }

        /**
         * Optional: the input channels this layer expects; when set, initialize and outputShape reject
         * other inputs (catches a channel mismatch between layers). Default: whatever comes in.
         */
        public Builder inChannels(int c) {
            this.inChannels = c;
            return this;
        }

        private void validate() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("Conv2d: name is required");
            }
            if (filters < 1) {
                throw new IllegalArgumentException("Conv2d " + name + ": filters must be >= 1, got " + filters);
            }
            if (kernelH < 1 || kernelW < 1) {
                throw new IllegalArgumentException("Conv2d " + name + ": kernel must be >= 1, got "
                        + kernelH + "x" + kernelW);
            }
            if (groups < 1 || filters % groups != 0) {
                throw new IllegalArgumentException("Conv2d " + name + ": groups must be >= 1 and divide the filters "
                        + filters + ", got " + groups);
            }
            if (initializer == null) {
                throw new IllegalArgumentException("Conv2d " + name + ": initializer must not be null");
            }
            if (inChannels < 0) {
                throw new IllegalArgumentException("Conv2d " + name + ": inChannels must be >= 1, got " + inChannels);
            }
        }

        public Conv2d build() {
            validate();
            try {
                return new Conv2d(this);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Conv2d " + name + ": " + e.getMessage(), e);
            }
        }
    }
}
