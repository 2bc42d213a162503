package org.convnet4j.nn;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Average pooling over each channel. Padding counts as zeros: every window divides by
 * kernelH*kernelW. Backward gives each input its share of dy over the windows that contain it.
 *
 * <p>Input x [N, C, H, W], output y [N, C, OH, OW] with
 * <pre>
 *   OH = (H + 2*padH - kernelH) / strideH + 1,   OW likewise,
 * </pre>
 * a whole number unless rounding is {@link OutputRounding#FLOOR}. Windows may overlap (AlexNet: 3x3,
 * stride 2). No parameters.
 *
 * <pre>
 *   AvgPool2d pool1 = AvgPool2d.builder().name("pool1").kernel(2).build();   // stride defaults to the kernel
 * </pre>
 */
public final class AvgPool2d extends AbstractLayer {
    private final PoolSpec spec;
    private Tensor y;
    private Shape inputShape;

    private AvgPool2d(Builder b) {
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
        backend().avgPoolForward(x, spec, y);
        this.y = y;
        this.inputShape = x.shape();
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        Tensor dx = buffer("dx", inputShape);
        backend().avgPoolBackward(dy, spec, dx);
        return dx;
    }

    @Override
    public String toString() {
        return "AvgPool2d(" + name() + ": " + spec + ")";
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
                throw new IllegalArgumentException("AvgPool2d: name is required");
            }
            if (kernelH < 1 || kernelW < 1) {
                throw new IllegalArgumentException("AvgPool2d " + name + ": kernel must be >= 1, got "
                        + kernelH + "x" + kernelW);
            }
            if (strideH == 0) {
                strideH = kernelH;
            }
            if (strideW == 0) {
                strideW = kernelW;
            }
        }

        public AvgPool2d build() {
            validate();
            try {
                return new AvgPool2d(this);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("AvgPool2d " + name + ": " + e.getMessage(), e);
            }
        }
    }
}
