package org.convnet4j.nn;

import org.convnet4j.backend.LrnSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Local response normalization across channels (AlexNet), Caffe/cuDNN/PyTorch convention:
 * <pre>
 *   scale[n,c,h,w] = k + (alpha/size) * sum over c' in [c - size/2, c + size/2] of x[n,c',h,w]^2
 *   y = x * scale^(-beta)
 * </pre>
 * size is odd ({@link LrnSpec} refuses even sizes, as Caffe does).
 * Input and output [N, C, H, W]. Forward keeps x, y and scale for backward. No parameters.
 */
public final class LocalResponseNorm extends AbstractLayer {
    private final LrnSpec spec;
    private Tensor x;
    private Tensor y;
    private Tensor scale;

    public LocalResponseNorm(String name, LrnSpec spec) {
        super(name);
        if (spec == null) {
            throw new IllegalArgumentException(name + ": LRN spec must not be null");
        }
        this.spec = spec;
    }

    /** AlexNet's LRN: size 5, alpha 1e-4, beta 0.75, k 2. */
    public static LocalResponseNorm alexNet(String name) {
        return new LocalResponseNorm(name, LrnSpec.alexNet());
    }

    public LrnSpec spec() {
        return spec;
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        if (input.rank() != 4) {
            throw new IllegalArgumentException(name() + ": input must be NCHW (rank 4), got " + input);
        }
        return input;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Shape out = checkInput(x);
        Tensor y = buffer("y", out);
        Tensor scale = buffer("scale", out);
        backend().lrnForward(x, spec, scale, y);
        this.x = x;
        this.y = y;
        this.scale = scale;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        checkGradient(dy, y);
        Tensor dx = buffer("dx", x.shape());
        backend().lrnBackward(x, y, scale, dy, spec, dx);
        return dx;
    }

    @Override
    public String toString() {
        return "LocalResponseNorm(" + name() + ": " + spec + ")";
    }
}
