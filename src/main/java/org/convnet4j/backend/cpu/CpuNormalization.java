package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;

import java.util.Arrays;

import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.NormalizationOps;
import org.convnet4j.tensor.Tensor;

/**
 * The normalization family on the CPU: local response normalization across channels (one plane per
 * task forward, one image per task backward) and batch normalization (one channel per task, sums in
 * double). Arguments are checked by the backend (OpChecks) before they get here.
 */
final class CpuNormalization implements NormalizationOps {
    private final CpuContext context;

    CpuNormalization(CpuContext context) {
        this.context = context;
    }

    /** scale = k + alpha/size * the window's sum of x^2, y = x * scale^-beta. */
    @Override
    public void lrnForward(ChannelGeometry g, Tensor x, LrnSpec spec, Tensor scale, Tensor y) {
        int c = g.channels();
        int hw = g.inner();
        float coef = spec.alpha() / spec.size();
        int before = (spec.size() - 1) / 2;
        int after = spec.size() / 2;
        float[] xv = floats(x);
        float[] sv = floats(scale);
        float[] yv = floats(y);
        context.threads().parallelFor(g.n() * c, (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int n = plane / c;
                int ch = plane % c;
                int out = plane * hw;
                Arrays.fill(sv, out, out + hw, 0f);
                for (int cc = Math.max(0, ch - before); cc <= Math.min(c - 1, ch + after); cc++) {
                    int in = (n * c + cc) * hw;
                    for (int i = 0; i < hw; i++) {
                        float v = xv[in + i];
                        sv[out + i] += v * v;
                    }
                }
                for (int i = 0; i < hw; i++) {
                    float s = spec.k() + coef * sv[out + i];
                    sv[out + i] = s;
                    yv[out + i] = xv[out + i] * (float) Math.pow(s, -spec.beta());
                }
            }
        });
    }

    /** dx from the forward's x, y and scale. */
    @Override
    public void lrnBackward(ChannelGeometry g, Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx) {
        int c = g.channels();
        int hw = g.inner();
        // dx_i = dy_i * scale_i^-beta - (2*alpha*beta/size) * x_i * sum over j whose window holds i of
        // dy_j * y_j / scale_j; channel j's window [j - (size-1)/2, j + size/2] holds i when
        // i - size/2 <= j <= i + (size-1)/2.
        float coef = 2f * spec.alpha() * spec.beta() / spec.size();
        int lo = spec.size() / 2;
        int hi = (spec.size() - 1) / 2;
        float[] xv = floats(x);
        float[] yv = floats(y);
        float[] sv = floats(scale);
        float[] dyv = floats(dy);
        float[] dxv = floats(dx);
        context.threads().parallelFor(g.n(), (part, n0, n1) -> {
            float[] ratio = context.workspaces().scratch(part, c * hw);
            for (int n = n0; n < n1; n++) {
                int base = n * c * hw;
                for (int i = 0; i < c * hw; i++) {
                    ratio[i] = dyv[base + i] * yv[base + i] / sv[base + i];
                }
                for (int ch = 0; ch < c; ch++) {
                    int out = base + ch * hw;
                    for (int i = 0; i < hw; i++) {
                        float s = 0f;
                        for (int j = Math.max(0, ch - lo); j <= Math.min(c - 1, ch + hi); j++) {
                            s += ratio[j * hw + i];
                        }
                        dxv[out + i] = dyv[out + i] * (float) Math.pow(sv[out + i], -spec.beta())
                                - coef * xv[out + i] * s;
                    }
                }
            }
        });
    }

    /** Normalizes with the batch statistics; keeps them for backward and updates the running ones. */
    @Override
    public void batchNormForwardTraining(ChannelGeometry s, Tensor x, Tensor gamma, Tensor beta, float momentum,
                                         float eps, Tensor runningMean, Tensor runningVar, Tensor saveMean,
                                         Tensor saveInvStd, Tensor y) {
        long m = (long) s.n() * s.inner();
        float[] xv = floats(x);
        float[] yv = floats(y);
        float[] gv = floats(gamma);
        float[] bv = floats(beta);
        float[] rm = floats(runningMean);
        float[] rv = floats(runningVar);
        float[] sm = floats(saveMean);
        float[] si = floats(saveInvStd);
        context.threads().parallelFor(s.channels(), (part, c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double sum = 0;
                for (int i = 0; i < s.n(); i++) {
                    int off = (i * s.channels() + c) * s.inner();
                    for (int j = 0; j < s.inner(); j++) {
                        sum += xv[off + j];
                    }
                }
                double mean = sum / m;
                double sq = 0;
                for (int i = 0; i < s.n(); i++) {
                    int off = (i * s.channels() + c) * s.inner();
                    for (int j = 0; j < s.inner(); j++) {
                        double d = xv[off + j] - mean;
                        sq += d * d;
                    }
                }
                double var = sq / m;
                double invStd = 1.0 / Math.sqrt(var + eps);
                float g = gv[c];
                float b = bv[c];
                for (int i = 0; i < s.n(); i++) {
                    int off = (i * s.channels() + c) * s.inner();
                    for (int j = 0; j < s.inner(); j++) {
                        yv[off + j] = (float) (g * ((xv[off + j] - mean) * invStd) + b);
                    }
                }
                sm[c] = (float) mean;
                si[c] = (float) invStd;
                rm[c] = (float) ((1 - momentum) * (double) rm[c] + momentum * mean);
                rv[c] = (float) ((1 - momentum) * (double) rv[c] + momentum * var * m / (m - 1));
            }
        });
    }

    /** Normalizes with the running statistics. */
    @Override
    public void batchNormForwardInference(ChannelGeometry s, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                          Tensor runningVar, float eps, Tensor y) {
        float[] xv = floats(x);
        float[] yv = floats(y);
        float[] gv = floats(gamma);
        float[] bv = floats(beta);
        float[] rm = floats(runningMean);
        float[] rv = floats(runningVar);
        context.threads().parallelFor(s.channels(), (part, c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                float invStd = (float) (1.0 / Math.sqrt((double) rv[c] + eps));
                float mean = rm[c];
                float g = gv[c];
                float b = bv[c];
                for (int i = 0; i < s.n(); i++) {
                    int off = (i * s.channels() + c) * s.inner();
                    for (int j = 0; j < s.inner(); j++) {
                        yv[off + j] = g * ((xv[off + j] - mean) * invStd) + b;
                    }
                }
            }
        });
    }

    /** dx overwritten; dgamma and dbeta accumulate. */
    @Override
    public void batchNormBackward(ChannelGeometry s, Tensor x, Tensor dy, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta) {
        long m = (long) s.n() * s.inner();
        float[] xv = floats(x);
        float[] dyv = floats(dy);
        float[] dxv = floats(dx);
        float[] gv = floats(gamma);
        float[] sm = floats(saveMean);
        float[] si = floats(saveInvStd);
        float[] dg = floats(dgamma);
        float[] db = floats(dbeta);
        context.threads().parallelFor(s.channels(), (part, c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double mean = sm[c];
                double invStd = si[c];
                double sumDy = 0;
                double sumDyXhat = 0;
                for (int i = 0; i < s.n(); i++) {
                    int off = (i * s.channels() + c) * s.inner();
                    for (int j = 0; j < s.inner(); j++) {
                        double g = dyv[off + j];
                        sumDy += g;
                        sumDyXhat += g * (xv[off + j] - mean) * invStd;
                    }
                }
                // dx = gamma * invStd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
                double k = gv[c] * invStd / m;
                for (int i = 0; i < s.n(); i++) {
                    int off = (i * s.channels() + c) * s.inner();
                    for (int j = 0; j < s.inner(); j++) {
                        double xhat = (xv[off + j] - mean) * invStd;
                        dxv[off + j] = (float) (k * (m * (double) dyv[off + j] - sumDy - xhat * sumDyXhat));
                    }
                }
                dg[c] += (float) sumDyXhat;
                db[c] += (float) sumDy;
            }
        });
    }
}
