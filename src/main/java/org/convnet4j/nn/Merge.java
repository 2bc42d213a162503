package org.convnet4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * A {@link Graph} node where branches meet: two or more inputs, one output, no parameters. {@link Add} sums
 * its inputs (a residual block), {@link Concat} stacks them along the channels (an inception module). Like a
 * layer it allocates its output and gradients on the first pass for a batch size and reuses them.
 */
abstract sealed class Merge implements AutoCloseable permits Merge.Add, Merge.Concat {
    private final String name;
    private final List<Tensor> buffers = new ArrayList<>();
    Backend backend;

    Merge(String name) {
        this.name = name;
    }

    final String name() {
        return name;
    }

    /** "Add" or "Concat". */
    final String type() {
        return getClass().getSimpleName();
    }

    /**
     * The output shape for these inputs, or IllegalArgumentException naming this node, the input nodes and
     * their shapes.
     */
    abstract Shape outputShape(List<String> inputNames, List<Shape> inputs);

    /** y from the inputs' outputs, in input order. */
    abstract Tensor forward(List<Tensor> xs);

    /** The gradient of each input (null where needed[i] is false), from dy, the output's gradient. */
    abstract List<Tensor> backward(Tensor dy, boolean[] needed);

    /** The i-th buffer of this shape: the same tensor while the shape stays, a new one when it changes. */
    final Tensor buffer(int i, Shape shape) {
        while (buffers.size() <= i) {
            buffers.add(null);
        }
        Tensor t = buffers.get(i);
        if (t == null || !t.shape().equals(shape)) {
            if (t != null) {
                t.close();
            }
            t = backend.allocate(shape);
            buffers.set(i, t);
        }
        return t;
    }

    @Override
    public final void close() {
        for (Tensor t : buffers) {
            if (t != null) {
                t.close();
            }
        }
        buffers.clear();
    }

    /** "'a' [1, 8, 4, 4], 'b' [1, 4, 4, 4]" for messages. */
    static String describe(List<String> names, List<Shape> shapes) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            parts.add("'" + names.get(i) + "' " + shapes.get(i));
        }
        return String.join(", ", parts);
    }

    /** y = x0 + x1 + ...; every input gets dy as its gradient. Inputs of one shape. */
    static final class Add extends Merge {
        Add(String name) {
            super(name);
        }

        @Override
        Shape outputShape(List<String> inputNames, List<Shape> inputs) {
            for (Shape s : inputs) {
                if (!s.equals(inputs.get(0))) {
                    throw new IllegalArgumentException("add node '" + name() + "' needs inputs of one shape, got "
                            + describe(inputNames, inputs));
                }
            }
            return inputs.get(0);
        }

        @Override
        Tensor forward(List<Tensor> xs) {
            Tensor y = buffer(0, xs.get(0).shape());
            backend.add(xs.get(0), xs.get(1), y);
            for (int i = 2; i < xs.size(); i++) {
                backend.add(y, xs.get(i), y);
            }
            return y;
        }

        @Override
        List<Tensor> backward(Tensor dy, boolean[] needed) {
            List<Tensor> dxs = new ArrayList<>();
            for (boolean n : needed) {
                dxs.add(n ? dy : null);
            }
            return dxs;
        }
    }

    /**
     * y = the inputs stacked along dimension 1 (channels), in input order: inputs [N, C_i, ...] with the same
     * N and sizes after the channel give [N, sum C_i, ...]. Backward copies each input's channels of dy back.
     */
    static final class Concat extends Merge {
        private int[] channels;

        Concat(String name) {
            super(name);
        }

        @Override
        Shape outputShape(List<String> inputNames, List<Shape> inputs) {
            Shape first = inputs.get(0);
            int[] c = new int[inputs.size()];
            int total = 0;
            for (int i = 0; i < inputs.size(); i++) {
                Shape s = inputs.get(i);
                boolean same = s.rank() == first.rank() && s.rank() >= 2;
                for (int d = 0; same && d < s.rank(); d++) {
                    same = d == 1 || s.dim(d) == first.dim(d);
                }
                if (!same) {
                    throw new IllegalArgumentException("concat node '" + name() + "' needs inputs [N, C, ...] that"
                            + " differ only in their channels, got " + describe(inputNames, inputs));
                }
                c[i] = s.dim(1);
                total += c[i];
            }
            channels = c;
            int[] dims = first.dims();
            dims[1] = total;
            return Shape.of(dims);
        }

        @Override
        Tensor forward(List<Tensor> xs) {
            int[] dims = xs.get(0).shape().dims();
            dims[1] = offset(channels.length);
            Tensor y = buffer(0, Shape.of(dims));
            for (int i = 0; i < xs.size(); i++) {
                backend.copyChannels(xs.get(i), 0, y, offset(i), channels[i]);
            }
            return y;
        }

        @Override
        List<Tensor> backward(Tensor dy, boolean[] needed) {
            List<Tensor> dxs = new ArrayList<>();
            for (int i = 0; i < needed.length; i++) {
                Tensor dx = null;
                if (needed[i]) {
                    int[] dims = dy.shape().dims();
                    dims[1] = channels[i];
                    dx = buffer(1 + i, Shape.of(dims));
                    backend.copyChannels(dy, offset(i), dx, 0, channels[i]);
                }
                dxs.add(dx);
            }
            return dxs;
        }

        /** The first channel of input i in the output. */
        private int offset(int i) {
            int o = 0;
            for (int k = 0; k < i; k++) {
                o += channels[k];
            }
            return o;
        }
    }
}
