package org.convnet4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Checks a layer's or a network's analytic gradients (backward) against central differences, for every
 * trainable parameter and for the input.
 *
 * <p>The scalar loss is either a fixed random projection of the output, L = sum_i r_i * y_i with r from
 * N(0, 1) ({@link #checkLayer}), or the mean softmax cross-entropy of the output against labels
 * ({@link #checkWithLoss}); on the analytic side the latter goes through {@link SoftmaxCrossEntropyLoss}
 * on the backend, so the loss's own backward is checked too. The loss is computed on the host in double
 * from the downloaded output; the layers' ops themselves run in float32 on the backend, so the numerical
 * gradient carries float32 rounding of order 1e-7 * |y| / h: use h around 1e-3 (the default) and a
 * relative tolerance around 1e-2, not the 1e-7 a double-precision check could reach. Each perturbed
 * value is rounded to float32, and the difference divides by the step actually taken.
 *
 * <p>For element i: numeric = (L(v + h) - L(v - h)) / (2h), relative error =
 * |analytic - numeric| / max(|analytic|, |numeric|, minScale). The report gives, per tensor, the largest
 * relative error and the element where it occurs.
 *
 * <p>Kinks: ReLU at 0 and max pooling where two inputs of a window are within h of each other are not
 * differentiable, and a central difference across a kink measures neither side. The checker detects such a
 * point from its one-sided differences s+ = (L(v+h) - L(v))/h and s- = (L(v) - L(v-h))/h: when they disagree
 * by more than the tolerance, the point is near a kink, and it is tolerated (counted, not scored) if the
 * analytic gradient lies between s- and s+ (it equals the slope on the side of v the kink is not on);
 * otherwise it is scored like any other point. {@link Result#tolerated} tells how many were tolerated.
 *
 * <p>The checker runs forward in training mode. It replays the same dropout masks in every evaluation
 * (resetting each {@link Dropout}'s forward count) and restores every parameter's value, the input and
 * non-trainable state (batch-norm running statistics) when it is done; the parameters' gradients are left
 * holding the analytic gradient of the checked loss.
 */
public final class GradientChecker {
    private final double step;
    private final double tolerance;
    private final double minScale;
    private final int maxElementsPerTensor;
    private final long seed;

    private GradientChecker(Builder b) {
        this.step = b.step;
        this.tolerance = b.tolerance;
        this.minScale = b.minScale;
        this.maxElementsPerTensor = b.maxElementsPerTensor;
        this.seed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A checker with the defaults: h 1e-3, tolerance 1e-2, minScale 1e-2, every element, seed 42. */
    public static GradientChecker defaults() {
        return builder().build();
    }

    /**
     * Checks an initialized layer on input x (FLOAT32, the layer's input shape) with the loss
     * L = sum_i r_i * y_i, r drawn from N(0, 1) with the checker's seed.
     */
    public Report checkLayer(Backend backend, Layer layer, Tensor x) {
        requireArgs(backend, layer, x);
        Shape outShape = layer.outputShape(x.shape());
        Random rng = new Random(seed);
        double[] r = new double[outShape.size()];
        float[] rFloat = new float[r.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = rng.nextGaussian();
            rFloat[i] = (float) r[i];
            r[i] = rFloat[i];
        }
        try (Tensor dy = backend.tensor(outShape, rFloat)) {
            HostLoss loss = new HostLoss() {
                @Override
                public double value(float[] y) {
                    double sum = 0;
                    for (int i = 0; i < y.length; i++) {
                        sum += r[i] * y[i];
                    }
                    return sum;
                }

                @Override
                public Tensor gradient(Tensor y) {
                    return dy;
                }
            };
            return run(backend, layer, x, loss, "sum(r * y)");
        }
    }

    /**
     * Checks an initialized network (its output: logits [N, K], any rank) followed by the mean softmax
     * cross-entropy against labels (INT32 [N]).
     */
    public Report checkWithLoss(Backend backend, Layer network, Tensor x, Tensor labels) {
        requireArgs(backend, network, x);
        if (labels == null || labels.dataType() != DataType.INT32) {
            throw new IllegalArgumentException("gradient checker: labels must be an INT32 tensor, got " + labels);
        }
        int[] y = backend.toIntArray(labels);
        Shape outShape = network.outputShape(x.shape());
        int n = outShape.n();
        int k = outShape.sizePerItem();
        if (y.length != n) {
            throw new IllegalArgumentException("gradient checker: " + y.length + " labels for output " + outShape);
        }
        try (SoftmaxCrossEntropyLoss softmax = new SoftmaxCrossEntropyLoss(backend)) {
            HostLoss loss = new HostLoss() {
                @Override
                public double value(float[] z) {
                    double total = 0;
                    for (int i = 0; i < n; i++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < k; j++) {
                            max = Math.max(max, z[i * k + j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < k; j++) {
                            sum += Math.exp(z[i * k + j] - max);
                        }
                        total += max + Math.log(sum) - z[i * k + y[i]];
                    }
                    return total / n;
                }

                @Override
                public Tensor gradient(Tensor logits) {
                    softmax.forward(logits, labels);
                    return softmax.backward();
                }
            };
            return run(backend, network, x, loss, "softmax cross-entropy");
        }
    }

    private static void requireArgs(Backend backend, Layer layer, Tensor x) {
        if (backend == null || layer == null || x == null) {
            throw new IllegalArgumentException("gradient checker: backend, layer and input must not be null");
        }
        if (x.dataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("gradient checker: input must be FLOAT32, got " + x.dataType());
        }
    }

    private interface HostLoss {
        double value(float[] output);

        Tensor gradient(Tensor output);
    }

    private Report run(Backend backend, Layer layer, Tensor x, HostLoss loss, String lossName) {
        List<Dropout> dropouts = new ArrayList<>();
        collectDropouts(layer, dropouts);
        long[] counts = new long[dropouts.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = dropouts.get(i).forwardCount();
        }
        List<Parameter> params = layer.parameters();
        List<float[]> savedState = new ArrayList<>();
        for (Parameter p : params) {
            if (!p.isTrainable()) {
                savedState.add(backend.toFloatArray(p.value()));
            }
        }
        Evaluator eval = () -> {
            for (int i = 0; i < counts.length; i++) {
                dropouts.get(i).setForwardCount(counts[i]);
            }
            return loss.value(backend.toFloatArray(layer.forward(x, true)));
        };

        // analytic gradients
        for (Parameter p : params) {
            if (p.isTrainable()) {
                backend.fill(p.grad(), 0f);
            }
        }
        for (int i = 0; i < counts.length; i++) {
            dropouts.get(i).setForwardCount(counts[i]);
        }
        Tensor out = layer.forward(x, true);
        Tensor dx = layer.backward(loss.gradient(out));
        float[] inputGrad = backend.toFloatArray(dx);

        double l0 = eval.loss();
        List<Result> results = new ArrayList<>();
        Random rng = new Random(seed ^ 0x5DEECE66DL);
        results.add(checkTensor(backend, "input", x, inputGrad, eval, l0, rng));
        for (Parameter p : params) {
            if (p.isTrainable()) {
                results.add(checkTensor(backend, p.name(), p.value(), backend.toFloatArray(p.grad()), eval, l0, rng));
            }
        }

        int s = 0;
        for (Parameter p : params) {
            if (!p.isTrainable()) {
                backend.upload(savedState.get(s++), p.value());
            }
        }
        for (int i = 0; i < counts.length; i++) {
            dropouts.get(i).setForwardCount(counts[i]);
        }
        return new Report(layer.name(), lossName, tolerance, results);
    }

    private interface Evaluator {
        double loss();
    }

    private Result checkTensor(Backend backend, String name, Tensor t, float[] analytic, Evaluator eval, double l0,
                               Random rng) {
        float[] values = backend.toFloatArray(t);
        int[] indices = pick(values.length, rng);
        double worst = 0;
        int worstIndex = indices.length > 0 ? indices[0] : -1;
        double worstAnalytic = Double.NaN;
        double worstNumeric = Double.NaN;
        int tolerated = 0;
        try {
            for (int i : indices) {
                float v = values[i];
                float plus = (float) (v + step);
                float minus = (float) (v - step);
                values[i] = plus;
                backend.upload(values, t);
                double lp = eval.loss();
                values[i] = minus;
                backend.upload(values, t);
                double lm = eval.loss();
                values[i] = v;
                double numeric = (lp - lm) / ((double) plus - minus);
                double a = analytic[i];
                double err = relativeError(a, numeric);
                if (err > tolerance && nearKink(a, lp, lm, l0, (double) plus - v, (double) v - minus)) {
                    tolerated++;
                    continue;
                }
                if (err > worst || Double.isNaN(worstAnalytic)) {
                    worst = Math.max(err, worst);
                    worstIndex = i;
                    worstAnalytic = a;
                    worstNumeric = numeric;
                }
            }
        } finally {
            backend.upload(values, t);
        }
        return new Result(name, t.shape(), worst, worstIndex, worstAnalytic, worstNumeric, indices.length, tolerated);
    }

    private double relativeError(double a, double numeric) {
        double scale = Math.max(Math.max(Math.abs(a), Math.abs(numeric)), minScale);
        double err = Math.abs(a - numeric) / scale;
        return Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
    }

    /** The one-sided slopes disagree, and the analytic gradient lies between them. */
    private boolean nearKink(double a, double lp, double lm, double l0, double hp, double hm) {
        double sPlus = (lp - l0) / hp;
        double sMinus = (l0 - lm) / hm;
        if (relativeError(sPlus, sMinus) <= tolerance) {
            return false;
        }
        double slack = tolerance * Math.max(Math.max(Math.abs(sPlus), Math.abs(sMinus)), minScale);
        return a >= Math.min(sPlus, sMinus) - slack && a <= Math.max(sPlus, sMinus) + slack;
    }

    private int[] pick(int size, Random rng) {
        if (maxElementsPerTensor <= 0 || size <= maxElementsPerTensor) {
            int[] all = new int[size];
            for (int i = 0; i < size; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] perm = new int[size];
        for (int i = 0; i < size; i++) {
            perm[i] = i;
        }
        for (int i = 0; i < maxElementsPerTensor; i++) {
            int j = i + rng.nextInt(size - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        int[] chosen = java.util.Arrays.copyOf(perm, maxElementsPerTensor);
        java.util.Arrays.sort(chosen);
        return chosen;
    }

    private static void collectDropouts(Layer layer, List<Dropout> into) {
        if (layer instanceof Dropout d) {
            into.add(d);
        } else if (layer instanceof Network n) {
            for (Layer l : n.layers()) {
                collectDropouts(l, into);
            }
        }
    }

    /**
     * The check of one tensor.
     *
     * @param maxRelativeError the largest relative error over the scored elements
     * @param worstIndex       the flat (row-major) index of that element
     * @param analytic         backward's value there
     * @param numeric          the central difference there
     * @param checked          elements checked
     * @param tolerated        elements near a kink, not scored
     */
    public record Result(String name, Shape shape, double maxRelativeError, int worstIndex, double analytic,
                         double numeric, int checked, int tolerated) {

        /** The worst element's multi-dimensional index, e.g. "[0, 2, 1, 3]". */
        public String worstElement() {
            if (worstIndex < 0) {
                return "-";
            }
            int[] d = shape.dims();
            int[] idx = new int[d.length];
            int rest = worstIndex;
            for (int i = d.length - 1; i >= 0; i--) {
                idx[i] = rest % d[i];
                rest /= d[i];
            }
            return java.util.Arrays.toString(idx);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%-16s %-18s max rel err %.3e at %s (analytic %.6g, numeric %.6g), %d checked, %d at kinks",
                    name, shape, maxRelativeError, worstElement(), analytic, numeric, checked, tolerated);
        }
    }

    /** Results for the input and every trainable parameter, in that order. */
    public static final class Report {
        private final String layer;
        private final String loss;
        private final double tolerance;
        private final List<Result> results;

        Report(String layer, String loss, double tolerance, List<Result> results) {
            this.layer = layer;
            this.loss = loss;
            this.tolerance = tolerance;
            this.results = Collections.unmodifiableList(new ArrayList<>(results));
        }

        public List<Result> results() {
            return results;
        }

        /** The result of one tensor: "input" or a parameter name. */
        public Result result(String name) {
            for (Result r : results) {
                if (r.name().equals(name)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("no result for '" + name + "' in " + names());
        }

        private List<String> names() {
            List<String> n = new ArrayList<>();
            for (Result r : results) {
                n.add(r.name());
            }
            return n;
        }

        /** The result with the largest relative error. */
        public Result worst() {
            Result w = results.get(0);
            for (Result r : results) {
                if (r.maxRelativeError() > w.maxRelativeError()) {
                    w = r;
                }
            }
            return w;
        }

        /** True when every tensor's largest relative error is within the tolerance. */
        public boolean passed() {
            return worst().maxRelativeError() <= tolerance;
        }

        /** Elements checked over all tensors. */
        public int checked() {
            return results.stream().mapToInt(Result::checked).sum();
        }

        /** Elements tolerated at kinks over all tensors. */
        public int tolerated() {
            return results.stream().mapToInt(Result::tolerated).sum();
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            b.append("gradient check of ").append(layer).append(" with ").append(loss).append(": ")
                    .append(passed() ? "passed" : "FAILED").append(" (tolerance ").append(tolerance)
                    .append(", worst ").append(worst().name()).append(")");
            for (Result r : results) {
                b.append("\n  ").append(r);
            }
            return b.toString();
        }
    }

    /** Options: step h, tolerance, minScale, a cap on the elements checked per tensor, and the seed. */
    public static final class Builder {
        private double step = 1e-3;
        private double tolerance = 1e-2;
        private double minScale = 1e-2;
        private int maxElementsPerTensor;
        private long seed = 42;

        private Builder() {
        }

        /** Central-difference step h (default 1e-3, right for float32 ops). */
        public Builder step(double h) {
            this.step = h;
            return this;
        }

        /** Largest relative error that passes (default 1e-2). */
        public Builder tolerance(double tolerance) {
            this.tolerance = tolerance;
            return this;
        }

        /**
         * Floor of the relative error's denominator (default 1e-2), so that gradients near zero are
         * compared absolutely: |analytic - numeric| &lt;= tolerance * minScale.
         */
        public Builder minScale(double minScale) {
            this.minScale = minScale;
            return this;
        }

        /** Check at most this many elements per tensor, chosen at random with the seed (default 0: all). */
        public Builder maxElementsPerTensor(int n) {
            this.maxElementsPerTensor = n;
            return this;
        }

        /** Seed of the projection r and of the element sampling (default 42). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        private void validate() {
            if (!(step > 0) || Double.isInfinite(step)) {
                throw new IllegalArgumentException("gradient checker: step must be finite and > 0, got " + step);
            }
            if (!(tolerance > 0)) {
                throw new IllegalArgumentException("gradient checker: tolerance must be > 0, got " + tolerance);
            }
            if (!(minScale > 0)) {
                throw new IllegalArgumentException("gradient checker: minScale must be > 0, got " + minScale);
            }
            if (maxElementsPerTensor < 0) {
                throw new IllegalArgumentException("gradient checker: maxElementsPerTensor must be >= 0, got "
                        + maxElementsPerTensor);
            }
        }

        public GradientChecker build() {
            validate();
            return new GradientChecker(this);
        }
    }
}
