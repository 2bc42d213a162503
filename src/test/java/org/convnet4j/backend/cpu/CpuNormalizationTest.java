package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.ToDoubleFunction;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Local response normalization and batch normalization against direct formulas in double. */
class CpuNormalizationTest extends CpuFamilyTest {
    // ---------------------------------------------------------------- LRN

    /** scale and y by the LrnSpec formula, in double. */
    private static double[][] lrnReference(double[] x, Shape s, LrnSpec spec) {
        int n = s.n();
        int c = s.c();
        int hw = s.h() * s.w();
        double[] scale = new double[x.length];
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) {
                    double sum = 0;
                    for (int cc = ch - (spec.size() - 1) / 2; cc <= ch + spec.size() / 2; cc++) {
                        if (cc >= 0 && cc < c) {
                            double v = x[(i * c + cc) * hw + p];
                            sum += v * v;
                        }
                    }
                    int at = (i * c + ch) * hw + p;
                    scale[at] = spec.k() + (double) spec.alpha() / spec.size() * sum;
                    y[at] = x[at] * Math.pow(scale[at], -spec.beta());
                }
            }
        }
        return new double[][] {scale, y};
    }

    @Test
    void lrnMatchesFormulaAndNumericalGradient() {
        // A wide window (7) reaches past both edges of the 7 channels; large alpha makes the cross terms matter.
        for (LrnSpec spec : new LrnSpec[] {LrnSpec.alexNet(), new LrnSpec(7, 0.5f, 0.75f, 1f), new LrnSpec(3, 1f, 0.6f, 2f)}) {
            Shape s = Shape.of(2, 7, 3, 4);
            float[] x = RandomTensors.uniform(60 + spec.size(), s.size(), -2f, 2f);
            float[] dy = RandomTensors.uniform(61, s.size());
            double[] xd = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                xd[i] = x[i];
            }
            double[][] ref = lrnReference(xd, s, spec);
            // Numerical gradient of L = sum dy * y(x), central differences in double.
            double[] dx = numericalGradient(xd, v -> {
                double[] y = lrnReference(v, s, spec)[1];
                double l = 0;
                for (int i = 0; i < y.length; i++) {
                    l += dy[i] * y[i];
                }
                return l;
            });
            try (Tensor tx = cpu.tensor(s, x); Tensor tscale = cpu.allocate(s); Tensor ty = cpu.allocate(s);
                 Tensor tdy = cpu.tensor(s, dy); Tensor tdx = cpu.allocate(s)) {
                cpu.lrnForward(tx, spec, tscale, ty);
                assertClose(ref[0], cpu.toFloatArray(tscale), 1e-6, 1e-5, "lrn scale " + spec);
                assertClose(ref[1], cpu.toFloatArray(ty), 1e-6, 1e-5, "lrn y " + spec);
                cpu.fill(tdx, Float.NaN);
                cpu.lrnBackward(tx, ty, tscale, tdy, spec, tdx);
                assertClose(dx, cpu.toFloatArray(tdx), 1e-5, 1e-4, "lrn dx " + spec);
            }
        }
    }

    // ---------------------------------------------------------------- batch norm

    private static double[] numericalGradient(double[] at, ToDoubleFunction<double[]> f) {
        double h = 1e-5;
        double[] g = new double[at.length];
        for (int i = 0; i < at.length; i++) {
            double keep = at[i];
            at[i] = keep + h;
            double up = f.applyAsDouble(at);
            at[i] = keep - h;
            double down = f.applyAsDouble(at);
            at[i] = keep;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /** y = gamma * (x - mean) / sqrt(var + eps) + beta per channel, biased variance, in double. */
    private static double[] batchNormReference(double[] x, double[] gamma, double[] beta, int n, int c, int inner,
                                               double eps, double[] meanOut, double[] varOut) {
        double[] y = new double[x.length];
        int m = n * inner;
        for (int ch = 0; ch < c; ch++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < inner; j++) {
                    mean += x[(i * c + ch) * inner + j];
                }
            }
            mean /= m;
            double var = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < inner; j++) {
                    double d = x[(i * c + ch) * inner + j] - mean;
                    var += d * d;
                }
            }
            var /= m;
            if (meanOut != null) {
                meanOut[ch] = mean;
                varOut[ch] = var;
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < inner; j++) {
                    int at = (i * c + ch) * inner + j;
                    y[at] = gamma[ch] * (x[at] - mean) / Math.sqrt(var + eps) + beta[ch];
                }
            }
        }
        return y;
    }

    @Test
    void batchNormTrainingForwardBackwardAndRunningStatistics() {
        for (Shape s : new Shape[] {Shape.of(3, 4, 2, 5), Shape.of(6, 5)}) {
            int n = s.n();
            int c = s.dim(1);
            int inner = s.size() / (n * c);
            float eps = 1e-5f;
            float momentum = 0.1f;
            float[] x = RandomTensors.uniform(70, s.size(), -2f, 3f);
            float[] gamma = RandomTensors.uniform(71, c, 0.5f, 1.5f);
            float[] beta = RandomTensors.uniform(72, c);
            float[] rm0 = RandomTensors.uniform(73, c);
            float[] rv0 = RandomTensors.uniform(74, c, 0.5f, 2f);
            float[] dy = RandomTensors.uniform(75, s.size());
            float[] dg0 = RandomTensors.uniform(76, c);
            float[] db0 = RandomTensors.uniform(77, c);
            double[] xd = toDouble(x);
            double[] gd = toDouble(gamma);
            double[] bd = toDouble(beta);
            double[] mean = new double[c];
            double[] var = new double[c];
            double[] y = batchNormReference(xd, gd, bd, n, c, inner, eps, mean, var);
            int m = n * inner;
            double[] rm = new double[c];
            double[] rv = new double[c];
            double[] invStd = new double[c];
            for (int ch = 0; ch < c; ch++) {
                rm[ch] = (1 - momentum) * rm0[ch] + momentum * mean[ch];
                rv[ch] = (1 - momentum) * rv0[ch] + momentum * var[ch] * m / (m - 1);
                invStd[ch] = 1 / Math.sqrt(var[ch] + eps);
            }
            ToDoubleFunction<double[]> lossOfX = v -> dot(dy, batchNormReference(v, gd, bd, n, c, inner, eps, null, null));
            double[] dx = numericalGradient(xd.clone(), lossOfX);
            double[] dgamma = numericalGradient(gd.clone(),
                    g -> dot(dy, batchNormReference(xd, g, bd, n, c, inner, eps, null, null)));
            double[] dbeta = numericalGradient(bd.clone(),
                    b -> dot(dy, batchNormReference(xd, gd, b, n, c, inner, eps, null, null)));
            for (int ch = 0; ch < c; ch++) {
                dgamma[ch] += dg0[ch];
                dbeta[ch] += db0[ch];
            }
            Shape cs = Shape.of(c);
            try (Tensor tx = cpu.tensor(s, x); Tensor tg = cpu.tensor(cs, gamma); Tensor tb = cpu.tensor(cs, beta);
                 Tensor trm = cpu.tensor(cs, rm0); Tensor trv = cpu.tensor(cs, rv0); Tensor tsm = cpu.allocate(cs);
                 Tensor tsi = cpu.allocate(cs); Tensor ty = cpu.allocate(s); Tensor tdy = cpu.tensor(s, dy);
                 Tensor tdx = cpu.allocate(s); Tensor tdg = cpu.tensor(cs, dg0); Tensor tdb = cpu.tensor(cs, db0)) {
                cpu.batchNormForwardTraining(tx, tg, tb, momentum, eps, trm, trv, tsm, tsi, ty);
                assertClose(y, cpu.toFloatArray(ty), 1e-5, 1e-5, "bn y " + s);
                assertClose(mean, cpu.toFloatArray(tsm), 1e-6, 1e-5, "bn saved mean " + s);
                assertClose(invStd, cpu.toFloatArray(tsi), 1e-6, 1e-5, "bn saved inv std " + s);
                assertClose(rm, cpu.toFloatArray(trm), 1e-6, 1e-5, "bn running mean " + s);
                assertClose(rv, cpu.toFloatArray(trv), 1e-6, 1e-5, "bn running var (unbiased) " + s);

                cpu.batchNormBackward(tx, tdy, tg, tsm, tsi, tdx, tdg, tdb);
                assertClose(dx, cpu.toFloatArray(tdx), 1e-4, 1e-3, "bn dx " + s);
                assertClose(dgamma, cpu.toFloatArray(tdg), 1e-4, 1e-3, "bn dgamma (accumulated) " + s);
                assertClose(dbeta, cpu.toFloatArray(tdb), 1e-4, 1e-3, "bn dbeta (accumulated) " + s);

                // Inference normalizes with the running statistics just updated.
                cpu.batchNormForwardInference(tx, tg, tb, trm, trv, eps, ty);
                double[] yInf = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    int ch = (i / inner) % c;
                    yInf[i] = gamma[ch] * (x[i] - rm[ch]) / Math.sqrt(rv[ch] + eps) + beta[ch];
                }
                assertClose(yInf, cpu.toFloatArray(ty), 1e-5, 1e-5, "bn inference " + s);
            }
        }
    }

    @Test
    void batchNormRejectsOneValuePerChannel() {
        Shape cs = Shape.of(3);
        try (Tensor tx = cpu.allocate(Shape.of(1, 3)); Tensor tg = cpu.allocate(cs); Tensor tb = cpu.allocate(cs);
             Tensor trm = cpu.allocate(cs); Tensor trv = cpu.allocate(cs); Tensor tsm = cpu.allocate(cs);
             Tensor tsi = cpu.allocate(cs); Tensor ty = cpu.allocate(Shape.of(1, 3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cpu.batchNormForwardTraining(tx, tg, tb, 0.1f, 1e-5f, trm, trv, tsm, tsi, ty));
            assertTrue(e.getMessage().startsWith("batchNormForwardTraining"), e.getMessage());
        }
    }

    private static double dot(float[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
