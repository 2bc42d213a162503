package org.convnet4j.nn;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Pooling over each channel, one layer with a {@link Mode}:
 * <ul>
 *   <li>{@link Mode#MAX}: forward keeps the int32 switches (the argmax position h*W + w of each window in
 *       its input plane) and backward routes dy through them: dx gets the sum of dy over every output
 *       whose switch points at it. Ties go to the first position in row-major window order; padded
 *       positions are never chosen; a NaN in a window is its maximum (the first NaN wins).</li>
 *   <li>{@link Mode#AVG}: padding counts as zeros, every window divides by kernelH*kernelW; backward
 *       gives each input its share of dy over the windows that contain it.</li>
 * </ul>
 *
 * <p>Input x [N, C, H, W], output y [N, C, OH, OW] with
 * <pre>
 *   OH = (H + 2*padH - kernelH) / strideH + 1,   OW likewise,
 * </pre>
 * a whole number unless rounding is {@link OutputRounding#FLOOR}. Windows may overlap (AlexNet: 3x3,
 * stride 2). No parameters.
 *
 * <pre>
 *   Pool2d pool1 = Pool2d.max("pool1", 2, 2);                              // LeNet-5
 *   Pool2d pool = Pool2d.builder().name("pool").mode(Pool2d.Mode.AVG)
 *           .kernel(3).stride(2).pad(1).build();                           // everything else
 * </pre>
 */
public final class Pool2d extends AbstractLayer {
    /** What a window reduces to. */
    public enum Mode {
        /** The largest value (NaN if the window holds one), with switches for backward. */
        MAX,
        /** The mean, padding counted as zeros. */
        AVG
    }

    private final Mode mode;
    private final PoolSpec spec;
    private Tensor y;
    private Tensor switches;
    private Shape inputShape;

    private Pool2d(Builder b) {
        super(b.name);
        this.mode = b.mode;
        this.spec = new PoolSpec(b.kernelH, b.kernelW, b.strideH, b.strideW, b.padH, b.padW, b.rounding);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Max pooling with a square kernel x kernel window moved by stride, no padding. */
    public static Pool2d max(String name, int kernel, int stride) {
        return builder().name(name).mode(Mode.MAX).kernel(kernel).stride(stride).build();
    }

    /** Average pooling with a square kernel x kernel window moved by stride, no padding. */
    public static Pool2d avg(String name, int kernel, int stride) {
        return builder().name(name).mode(Mode.AVG).kernel(kernel).stride(stride).build();
    }

    public Mode mode() {
        return mode;
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
        if (mode == Mode.MAX) {
            Tensor sw = buffer("switches", out, DataType.INT32);
            backend().maxPoolForward(x, spec, y, sw);
            this.switches = sw;
        } else {
            backend().avgPoolForward(x, spec, y);
        }
        this.y = y;
        this.inputShape = x.shape();
        return y;
    }

    /** The switches of the last forward (INT32, the output's shape); max pooling only. */
    public Tensor switches() {
        checkInitialized();
        if (mode != Mode.MAX) {
            throw new IllegalStateException(name() + ": only max pooling has switches, this layer is " + mode);
        }
        return switches;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        Tensor dx = buffer("dx", inputShape);
        if (mode == Mode.MAX) {
            backend().maxPoolBackward(dy, switches, spec, dx);
        } else {
            backend().avgPoolBackward(dy, spec, dx);
        }
        return dx;
    }

    @Override
    public String toString() {
        return "Pool2d(" + name() + ": " + mode + " " + spec + ")";
    }

    /**
     * Builder: name, mode and kernel are required; stride defaults to the kernel, padding to 0, rounding
     * to {@link OutputRounding#EXACT}.
     */
    public static final class Builder extends WindowBuilder<Builder> {
        private Mode mode;

        private Builder() {
            super(0);
        }

        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        private void validate() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("Pool2d: name is required");
            }
            if (mode == null) {
                throw new IllegalArgumentException("Pool2d " + name + ": mode is required (MAX or AVG)");
            }
            if (kernelH < 1 || kernelW < 1) {
                throw new IllegalArgumentException("Pool2d " + name + ": kernel must be >= 1, got "
                        + kernelH + "x" + kernelW);
            }
            if (strideH == 0) {
                strideH = kernelH;
            }
            if (strideW == 0) {
                strideW = kernelW;
            }
        }

        public Pool2d build() {
            validate();
            try {
                return new Pool2d(this);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Pool2d " + name + ": " + e.getMessage(), e);
            }
        }
    }
}
