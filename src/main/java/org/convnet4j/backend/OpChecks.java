package org.convnet4j.backend;

import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The argument checks of every {@link Backend} op, shared by all backends so that they reject exactly
 * the same inputs with the same exception and message. One method per op, with the op's name and
 * parameters; it returns the geometry the backend computes with (or nothing), and the backend then
 * computes without checking again.
 *
 * <p>Each method checks, in this order: the backend is open (else IllegalStateException); every tensor
 * argument is non-null (unless the op documents it as optional), belongs to this backend, is open and
 * is not a view of closed storage (else IllegalStateException), and has the data type the op needs; then
 * ranks, shapes, specs and scalar arguments (IllegalArgumentException naming the op, the argument, the
 * shapes and, for convolution and pooling, the output-size formula). Values inside tensors (labels,
 * switches) are not read here: a backend checks them where it can see them.
 *
 * <p>A family whose checks would make this file long has its own class beside it ({@link PoolingChecks},
 * {@link MergeChecks}), reached through {@link #pooling()} and {@link #merge()}, over the shared helpers here.
 */
public final class OpChecks {
    private final String backend;
    private final Predicate<Tensor> owns;
    private final Predicate<Tensor> usable;
    private final BooleanSupplier closed;
    private final PoolingChecks pooling;
    private final MergeChecks merge;
    /** The largest count {@link Backend#tallyBatch} records: every integer up to it is exact in float32. */
    private static final int MAX_TALLY = 1 << 24;

    /**
     * @param backend the backend's short name, as {@link Backend#name()} gives it
     * @param owns    true for a tensor this backend allocated
     * @param usable  for a tensor it owns: true when the tensor and the storage it views are both open
     * @param closed  true once the backend was closed
     */
    public OpChecks(String backend, Predicate<Tensor> owns, Predicate<Tensor> usable, BooleanSupplier closed) {
        this.backend = backend;
        this.owns = owns;
        this.usable = usable;
        this.closed = closed;
        this.pooling = new PoolingChecks(this);
        this.merge = new MergeChecks(this);
    }

    /** The checks of the pooling family's ops. */
    public PoolingChecks pooling() {
        return pooling;
    }

    /** The checks of the merge family's ops (residual add, channel concatenation). */
    public MergeChecks merge() {
        return merge;
    }

    // ---------------------------------------------------------------- memory

    public void allocate(Shape shape, DataType dataType) {
        open("allocate");
        if (shape == null || dataType == null) {
            throw new IllegalArgumentException("allocate: shape and data type must not be null, got "
                    + shape + " " + dataType);
        }
    }

    public void upload(float[] src, Tensor dst) {
        host("upload", "dst", dst, DataType.FLOAT32, src == null ? -1 : src.length);
    }

    public void upload(int[] src, Tensor dst) {
        host("upload", "dst", dst, DataType.INT32, src == null ? -1 : src.length);
    }

    public void download(Tensor src, float[] dst) {
        host("download", "src", src, DataType.FLOAT32, dst == null ? -1 : dst.length);
    }

    public void download(Tensor src, int[] dst) {
        host("download", "src", src, DataType.INT32, dst == null ? -1 : dst.length);
    }

    public void downloadLater(Tensor src) {
        open("downloadLater");
        floats("downloadLater", "src", src);
    }

    /** A tensor and a host array (length -1: null) of as many elements. */
    private void host(String op, String name, Tensor t, DataType type, int length) {
        open(op);
        int size = tensor(op, name, t, type).size();
        if (length != size) {
            throw new IllegalArgumentException(op + ": host array of " + (length < 0 ? "null" : length + " elements")
                    + " does not match tensor " + t.shape() + " of " + size + " elements");
        }
    }

    public void fill(Tensor t, float value) {
        open("fill");
        floats("fill", "t", t);
    }

    public void copy(Tensor src, Tensor dst) {
        open("copy");
        Tensor s = tensor("copy", "src", src, null);
        Tensor d = tensor("copy", "dst", dst, null);
        if (s.dataType() != d.dataType() || s.size() != d.size()) {
            throw new IllegalArgumentException("copy: src " + s.shape() + " " + s.dataType() + " and dst "
                    + d.shape() + " " + d.dataType() + " must have the same size and data type");
        }
    }

    public void gatherRows(Tensor src, Tensor order, int first, Tensor dst) {
        String op = "gatherRows";
        open(op);
        Shape s = tensor(op, "src", src, null).shape();
        Shape d = tensor(op, "dst", dst, null).shape();
        Shape o = tensor(op, "order", order, DataType.INT32).shape();
        boolean sameRows = d.rank() == s.rank() && s.size() / s.dim(0) == d.size() / d.dim(0);
        if (!sameRows || src.dataType() != dst.dataType() || o.rank() != 1) {
            throw new IllegalArgumentException(op + ": expected src [N, ...], dst [B, ...] with the same row shape and"
                    + " type, order INT32 [M]; got src " + src.dataType() + " " + s + ", dst " + dst.dataType() + " "
                    + d + ", order " + o);
        }
        if (first < 0 || (long) first + d.dim(0) > o.dim(0)) {
            throw new IllegalArgumentException(op + ": rows " + first + " .. " + ((long) first + d.dim(0) - 1)
                    + " of the order are asked for; it has " + o.dim(0));
        }
    }

    public void synchronize() {
        open("synchronize");
    }

    // ---------------------------------------------------------------- dense algebra

    public GemmGeometry gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha,
                             float beta) {
        String op = "gemm";
        open(op);
        Shape sa = floats(op, "a", a);
        Shape sb = floats(op, "b", b);
        Shape sc = floats(op, "c", c);
        rank(op, "a", sa, 2);
        rank(op, "b", sb, 2);
        rank(op, "c", sc, 2);
        int m = transposeA ? sa.dim(1) : sa.dim(0);
        int k = transposeA ? sa.dim(0) : sa.dim(1);
        int kb = transposeB ? sb.dim(1) : sb.dim(0);
        int n = transposeB ? sb.dim(0) : sb.dim(1);
        if (k != kb || sc.dim(0) != m || sc.dim(1) != n) {
            throw new IllegalArgumentException(op + ": op(a) " + (transposeA ? "(a transposed) " : "") + "is [" + m
                    + ", " + k + "] from a " + sa + ", op(b) " + (transposeB ? "(b transposed) " : "") + "is ["
                    + kb + ", " + n + "] from b " + sb + ", so c must be [" + m + ", " + n
                    + "] with matching inner sizes; got c " + sc);
        }
        return new GemmGeometry(m, n, k, sa.dim(1), sb.dim(1));
    }

    public LinearGeometry linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        String op = "linearForward";
        open(op);
        LinearGeometry g = linear(op, floats(op, "x", x), floats(op, "w", w));
        optionalShaped(op, Shape.of(g.m()), "bias", bias);
        allShaped(op, Shape.of(g.n(), g.m()), "y", y);
        return g;
    }

    public LinearGeometry linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias) {
        String op = "linearBackward";
        open(op);
        LinearGeometry g = linear(op, floats(op, "x", x), floats(op, "w", w));
        allShaped(op, Shape.of(g.n(), g.m()), "dy", dy);
        optionalShaped(op, x.shape(), "dx", dx);
        allShaped(op, w.shape(), "dw", dw);
        optionalShaped(op, Shape.of(g.m()), "dbias", dbias);
        return g;
    }

    private static LinearGeometry linear(String op, Shape x, Shape w) {
        minRank(op, "x", x, 2);
        rank(op, "w", w, 2);
        int k = x.sizePerItem();
        if (w.dim(1) != k) {
            throw new IllegalArgumentException(op + ": x " + x + " has " + k + " features per item but w " + w
                    + " expects " + w.dim(1) + " (w is [outputs, inputs])");
        }
        return new LinearGeometry(x.n(), k, w.dim(0));
    }

    public ChannelGeometry addBias(Tensor y, Tensor bias) {
        return perChannel("addBias", "y", y, "bias", bias);
    }

    public ChannelGeometry biasGradient(Tensor dy, Tensor dbias) {
        return perChannel("biasGradient", "dy", dy, "dbias", dbias);
    }

    /** t of rank &gt;= 2 and its per-channel vector [C]. */
    private ChannelGeometry perChannel(String op, String name, Tensor t, String vectorName, Tensor vector) {
        return ChannelGeometry.of(withVector(op, name, t, 1, vectorName, vector, DataType.FLOAT32));
    }

    // ---------------------------------------------------------------- convolution

    public ConvGeometry conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
        String op = "conv2dForward";
        ConvGeometry g = conv(op, "x", x, "w", w, spec);
        allShaped(op, g.outputShape(), "y", y);
        optionalShaped(op, Shape.of(g.fn()), "bias", bias);
        return g;
    }

    public ConvGeometry conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
        String op = "conv2dBackwardData";
        ConvGeometry g = conv(op, "dx", dx, "w", w, spec);
        allShaped(op, g.outputShape(), "dy", dy);
        return g;
    }

    public ConvGeometry conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias) {
        String op = "conv2dBackwardFilter";
        ConvGeometry g = conv(op, "x", x, "dw", dw, spec);
        allShaped(op, g.outputShape(), "dy", dy);
        optionalShaped(op, Shape.of(g.fn()), "dbias", dbias);
        return g;
    }

    /** The geometry from the input (or dx) and the weights (or dw), with the output-size formula. */
    private ConvGeometry conv(String op, String inName, Tensor in, String wName, Tensor w, ConvSpec spec) {
        open(op);
        Shape sIn = floats(op, inName, in);
        Shape sw = floats(op, wName, w);
        notNull(op, "spec", spec);
        return ConvGeometry.of(op, sIn, sw, spec);
    }

    // ---------------------------------------------------------------- activations

    public void activationForward(Activation f, Tensor x, Tensor y) {
        String op = "activationForward";
        open(op);
        notNull(op, "activation", f);
        allShaped(op, floats(op, "x", x), "y", y);
    }

    public void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx) {
        String op = "activationBackward";
        open(op);
        notNull(op, "activation", f);
        allShaped(op, floats(op, "y", y), "dy", dy, "dx", dx);
    }

    // ---------------------------------------------------------------- softmax loss

    public RowGeometry softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        String op = "softmaxCrossEntropyForward";
        RowGeometry g = rows(op, "logits", logits, "labels", labels);
        allShaped(op, logits.shape(), "probs", probs);
        allShaped(op, Shape.of(1), "loss", loss);
        return g;
    }

    public RowGeometry softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits) {
        String op = "softmaxCrossEntropyBackward";
        RowGeometry g = rows(op, "probs", probs, "labels", labels);
        allShaped(op, probs.shape(), "dlogits", dlogits);
        return g;
    }

    public RowGeometry argmax(Tensor x, Tensor out) {
        return rows("argmax", "x", x, "out", out);
    }

    public void tallyBatch(Tensor predictions, Tensor labels, int count, Tensor loss, Tensor tallies, int slot) {
        String op = "tallyBatch";
        open(op);
        Shape p = tensor(op, "predictions", predictions, DataType.INT32).shape();
        rank(op, "predictions", p, 1);
        shape(op, "labels", tensor(op, "labels", labels, DataType.INT32).shape(), p);
        optionalShaped(op, Shape.of(1), "loss", loss);
        Shape t = floats(op, "tallies", tallies);
        if (t.rank() != 2 || t.dim(1) != 2) {
            throw new IllegalArgumentException(op + ": tallies must be [S, 2] (a loss and a count per batch), got " + t);
        }
        if (count < 0 || count > p.dim(0) || count > MAX_TALLY) {
            throw new IllegalArgumentException(op + ": count must lie in [0, " + Math.min(p.dim(0), MAX_TALLY)
                    + "] (the batch, at most 2^24 so the count is exact in float32), got " + count);
        }
        if (slot < 0 || slot >= t.dim(0)) {
            throw new IllegalArgumentException(op + ": slot must lie in [0, " + t.dim(0) + "), got " + slot);
        }
    }

    /** x FLOAT32 [N, ...] as N rows, and its INT32 per-row vector [N]. */
    private RowGeometry rows(String op, String name, Tensor x, String vectorName, Tensor vector) {
        Shape s = withVector(op, name, x, 0, vectorName, vector, DataType.INT32);
        return new RowGeometry(s.n(), s.sizePerItem());
    }

    /** The shape of t, FLOAT32 of rank &gt;= 2, whose vector is [t's dimension axis] of vectorType. */
    private Shape withVector(String op, String name, Tensor t, int axis, String vectorName, Tensor vector,
                             DataType vectorType) {
        open(op);
        Shape s = floats(op, name, t);
        minRank(op, name, s, 2);
        shape(op, vectorName, tensor(op, vectorName, vector, vectorType).shape(), Shape.of(s.dim(axis)));
        return s;
    }

    // ---------------------------------------------------------------- dropout

    public void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y) {
        String op = "dropoutForward";
        open(op);
        Shape sx = floats(op, "x", x);
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException(op + ": drop probability p must be in [0, 1), got " + p);
        }
        allShaped(op, sx, "mask", mask, "y", y);
    }

    public void dropoutBackward(Tensor dy, Tensor mask, Tensor dx) {
        String op = "dropoutBackward";
        open(op);
        allShaped(op, floats(op, "dy", dy), "mask", mask, "dx", dx);
    }

    // ---------------------------------------------------------------- normalization

    public ChannelGeometry lrnForward(Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        return lrn("lrnForward", x, spec, "scale", scale, "y", y);
    }

    public ChannelGeometry lrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        return lrn("lrnBackward", x, spec, "y", y, "scale", scale, "dy", dy, "dx", dx);
    }

    /** x [N, C, H, W], a spec, and tensors of x's shape. */
    private ChannelGeometry lrn(String op, Tensor x, LrnSpec spec, Object... namesAndTensors) {
        open(op);
        Shape sx = floats(op, "x", x);
        notNull(op, "spec", spec);
        rank(op, "x", sx, 4);
        allShaped(op, sx, namesAndTensors);
        return ChannelGeometry.of(sx);
    }

    public ChannelGeometry batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                                    Tensor runningMean, Tensor runningVar, Tensor saveMean,
                                                    Tensor saveInvStd, Tensor y) {
        String op = "batchNormForwardTraining";
        open(op);
        ChannelGeometry g = batchNormInput(op, x);
        allShaped(op, x.shape(), "y", y);
        positiveEps(op, eps);
        allShaped(op, Shape.of(g.channels()), "gamma", gamma, "beta", beta, "runningMean", runningMean,
                "runningVar", runningVar, "saveMean", saveMean, "saveInvStd", saveInvStd);
        long m = (long) g.n() * g.inner();
        if (m < 2) {
            throw new IllegalArgumentException(op + ": x " + x.shape() + " has " + m
                    + " value per channel; training batch normalization needs more than 1");
        }
        return g;
    }

    public ChannelGeometry batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                     Tensor runningVar, float eps, Tensor y) {
        String op = "batchNormForwardInference";
        open(op);
        ChannelGeometry g = batchNormInput(op, x);
        allShaped(op, x.shape(), "y", y);
        positiveEps(op, eps);
        allShaped(op, Shape.of(g.channels()), "gamma", gamma, "beta", beta, "runningMean", runningMean,
                "runningVar", runningVar);
        return g;
    }

    public ChannelGeometry batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                             Tensor dx, Tensor dgamma, Tensor dbeta) {
        String op = "batchNormBackward";
        open(op);
        ChannelGeometry g = batchNormInput(op, x);
        allShaped(op, x.shape(), "dy", dy, "dx", dx);
        allShaped(op, Shape.of(g.channels()), "gamma", gamma, "saveMean", saveMean, "saveInvStd", saveInvStd,
                "dgamma", dgamma, "dbeta", dbeta);
        return g;
    }

    /** x: [N, C, H, W] or [N, C]. */
    private ChannelGeometry batchNormInput(String op, Tensor x) {
        Shape sx = floats(op, "x", x);
        if (sx.rank() != 4 && sx.rank() != 2) {
            throw new IllegalArgumentException(op + ": x must be [N, C, H, W] or [N, C], got " + sx);
        }
        return ChannelGeometry.of(sx);
    }

    private static void positiveEps(String op, float eps) {
        if (!(eps > 0f)) {
            throw new IllegalArgumentException(op + ": eps must be > 0, got " + eps);
        }
    }

    // ---------------------------------------------------------------- optimizers

    public void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay) {
        optimizer("sgdUpdate", param, "grad", grad);
    }

    public void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                               float weightDecay, boolean nesterov) {
        optimizer("momentumUpdate", param, "grad", grad, "velocity", velocity);
    }

    public void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay) {
        optimizer("adagradUpdate", param, "grad", grad, "sumSquares", sumSquares);
    }

    public void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                              float weightDecay) {
        optimizer("rmspropUpdate", param, "grad", grad, "meanSquare", meanSquare);
    }

    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        String op = "adamUpdate";
        optimizer(op, param, "grad", grad, "m", m, "v", v);
        if (step < 1) {
            throw new IllegalArgumentException(op + ": step starts at 1, got " + step);
        }
    }

    /** param and each (name, tensor) pair: FLOAT32 tensors of this backend of param's shape. */
    private void optimizer(String op, Tensor param, Object... namesAndTensors) {
        open(op);
        Shape sp = floats(op, "param", param);
        for (int i = 0; i < namesAndTensors.length; i += 2) {
            String name = (String) namesAndTensors[i];
            Shape s = floats(op, name, (Tensor) namesAndTensors[i + 1]);
            if (!s.equals(sp)) {
                throw new IllegalArgumentException(op + ": " + name + " " + s + " must have the shape of param "
                        + sp);
            }
        }
    }

    // ---------------------------------------------------------------- the checks

    void open(String op) {
        if (closed.getAsBoolean()) {
            throw new IllegalStateException(op + ": this " + backend + " backend was closed");
        }
    }

    /** t: non-null, of this backend, usable, and of the given type (null: any). */
    Tensor tensor(String op, String name, Tensor t, DataType type) {
        notNull(op, name, t);
        if (!owns.test(t)) {
            throw new IllegalArgumentException(op + ": " + name + " " + t + " does not belong to this " + backend
                    + " backend");
        }
        if (!usable.test(t)) {
            throw new IllegalStateException(op + ": " + name + " " + t.shape() + " used after close"
                    + (t.isClosed() ? "" : " (of the tensor it is a view of)"));
        }
        if (type != null && t.dataType() != type) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " must be " + type + ", got "
                    + t.dataType());
        }
        return t;
    }

    /** Each (name, tensor) pair: a FLOAT32 tensor of this backend of the expected shape. */
    void allShaped(String op, Shape expected, Object... namesAndTensors) {
        for (int i = 0; i < namesAndTensors.length; i += 2) {
            String name = (String) namesAndTensors[i];
            shape(op, name, floats(op, name, (Tensor) namesAndTensors[i + 1]), expected);
        }
    }

    /** The shape of a FLOAT32 tensor of this backend. */
    Shape floats(String op, String name, Tensor t) {
        return tensor(op, name, t, DataType.FLOAT32).shape();
    }

    /** As {@link #allShaped} for one optional tensor: null passes. */
    void optionalShaped(String op, Shape expected, String name, Tensor t) {
        if (t != null) {
            allShaped(op, expected, name, t);
        }
    }

    static void rank(String op, String name, Shape s, int rank) {
        if (s.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + ", got " + s);
        }
    }

    static void minRank(String op, String name, Shape s, int rank) {
        if (s.rank() < rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank >= " + rank + ", got " + s);
        }
    }

    static void shape(String op, String name, Shape s, Shape expected) {
        if (!s.equals(expected)) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + expected + ", got " + s);
        }
    }

    static void notNull(String op, String name, Object o) {
        if (o == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
    }
}
