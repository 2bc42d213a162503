package org.convnet4j.nn;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Max pooling over each channel. Forward keeps the int32 switches (the argmax position h*W + w
 * of each window in its input plane) and backward routes dy through them: dx gets the sum of dy over
 * every output whose switch points at it. Ties go to the first position in row-major window order;
 * padded positions are never chosen.
 *
 * <p>Input x [N, C, H, W], output y [N, C, OH, OW] with
 * <pre>
 *   OH = (H + 2*padH - kernelH) / strideH + 1,   OW likewise,
 * </pre>
 * a whole number unless rounding is {@link OutputRounding#FLOOR}. Windows may overlap (AlexNet: 3x3,
 * stride 2). No parameters.
 *
 * <pre>
 *   MaxPool2d pool1 = MaxPool2d.builder().name("pool1").kernel(2).build();   // stride defaults to the kernel
 * </pre>
 */
public final class MaxPool2d extends AbstractLayer {
    private final PoolSpec spec;
    private Tensor y;
    private Tensor switches;
    private Shape inputShape;

    private MaxPool2d(Builder b) {
        super(b.name);
        this.spec = new PoolSpec(b.kernelH, b.kernelW, b.strideH, b.strideW, b.padH, b.padW, b.rounding);
    }

    public static Builder builder() {
        return new Builder();
    }

    public PoolSpec spec() {
        return spec;
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        return spec.outputShape(name(), input);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        Tensor y = buffer("y", out);
        Tensor sw = buffer("switches", out, DataType.INT32);
        backend().maxPoolForward(x, spec, y, sw);
        this.y = y;
        this.switches = sw;
        this.inputShape = x.shape();
        return y;
    }

    /** The switches of the last forward (INT32, the output's shape). */
    public Tensor switches() {
        checkInitialized();
        return switches;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        Tensor dx = buffer("dx", inputShape);
        backend().maxPoolBackward(dy, switches, spec, dx);
        return dx;
    }

    @Override
    public String toString() {
        return "MaxPool2d(" + name() + ": " + spec + ")";
    }

    /** Builder: name and kernel are required; stride defaults to the kernel, padding to 0. */
    public static final class Builder {
        private String name;
        private int kernelH;
        private int kernelW;
        private int strideH;
        private int strideW;
        private int padH;
        private int padW;
        private OutputRounding rounding = OutputRounding.EXACT;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder kernel(int k) {
            return kernel(k, k);
        }

        public Builder kernel(int kh, int kw) {
            this.kernelH = kh;
            this.kernelW = kw;
            return this;
        }

        public Builder stride(int s) {
            return stride(s, s);
        }

        public Builder stride(int sh, int sw) {
            this.strideH = sh;
            this.strideW = sw;
            return this;
        }

        public Builder pad(int p) {
            return pad(p, p);
        }

        public Builder pad(int ph, int pw) {
            this.padH = ph;
            this.padW = pw;
            return this;
        }

        /** EXACT (default) rejects output sizes that are not whole numbers; FLOOR rounds down. */
        public Builder rounding(OutputRounding rounding) {
            this.rounding = rounding;
            return this;
        }

        private void validate() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("MaxPool2d: name is required");
            }
            if (kernelH < 1 || kernelW < 1) {
                throw new IllegalArgumentException("MaxPool2d " + name + ": kernel must be >= 1, got "
                        + kernelH + "x" + kernelW);
            }
            if (strideH == 0) {
                strideH = kernelH;
            }
            if (strideW == 0) {
                strideW = kernelW;
            }
        }

        public MaxPool2d build() {
            validate();
            try {
                return new MaxPool2d(this);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("MaxPool2d " + name + ": " + e.getMessage(), e);
            }
        }
    }
}
