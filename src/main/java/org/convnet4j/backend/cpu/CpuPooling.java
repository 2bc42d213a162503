package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;
import static org.convnet4j.backend.cpu.CpuTensor.ints;

import java.util.Arrays;

import org.convnet4j.backend.ChannelGeometry;
import org.convnet4j.backend.PoolGeometry;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.backend.PoolingOps;
import org.convnet4j.tensor.Tensor;

/**
 * The pooling family on the CPU, one plane (n, c) per task. Max pooling propagates NaN: a NaN in a
 * window is its maximum and the first one wins, as in PyTorch. Arguments are checked by the backend
 * (OpChecks) before they get here; the values of max pooling's switches are checked here.
 */
final class CpuPooling implements PoolingOps {
    private final CpuContext context;

    CpuPooling(CpuContext context) {
        this.context = context;
    }

    /** y = each window's maximum, switches = its position h*W + w in the input plane. */
    @Override
    public void maxPoolForward(PoolGeometry g, Tensor x, Tensor y, Tensor switches) {
        PoolSpec spec = g.spec();
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        float[] xv = floats(x);
        float[] yv = floats(y);
        int[] sv = ints(switches);
        context.threads().parallelFor(g.planes(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * h * w;
                int o = plane * oh * ow;
                for (int r = 0; r < oh; r++) {
                    int hs = r * spec.strideH() - spec.padH();
                    int he = Math.min(hs + spec.kernelH(), h);
                    hs = Math.max(hs, 0);
                    for (int q = 0; q < ow; q++) {
                        int ws = q * spec.strideW() - spec.padW();
                        int we = Math.min(ws + spec.kernelW(), w);
                        ws = Math.max(ws, 0);
                        float best = 0f;
                        int arg = -1;
                        for (int i = hs; i < he; i++) {
                            for (int j = ws; j < we; j++) {
                                float v = xv[in + i * w + j];
                                if (arg < 0 || v > best || (v != v && best == best)) {
                                    best = v;
                                    arg = i * w + j;
                                }
                            }
                        }
                        yv[o + r * ow + q] = best;
                        sv[o + r * ow + q] = arg;
                    }
                }
            }
        });
    }

    /** dx = dy routed to the positions the switches point at; a switch outside the plane is an error. */
    @Override
    public void maxPoolBackward(PoolGeometry g, Tensor dy, Tensor switches, Tensor dx) {
        int planeIn = g.h() * g.w();
        int planeOut = g.oh() * g.ow();
        int[] sv = ints(switches);
        for (int i = 0; i < sv.length; i++) {
            if (sv[i] < 0 || sv[i] >= planeIn) {
                throw new IllegalArgumentException("maxPoolBackward: switch " + i + " is " + sv[i]
                        + ", outside the input plane " + g.h() + "x" + g.w() + " of dx " + dx.shape());
            }
        }
        float[] dyv = floats(dy);
        float[] dxv = floats(dx);
        context.threads().parallelFor(g.planes(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * planeIn;
                int o = plane * planeOut;
                Arrays.fill(dxv, in, in + planeIn, 0f);
                for (int i = 0; i < planeOut; i++) {
                    dxv[in + sv[o + i]] += dyv[o + i];
                }
            }
        });
    }

    /** y = each window's sum divided by kernelH*kernelW (padding counts as zeros). */
    @Override
    public void avgPoolForward(PoolGeometry g, Tensor x, Tensor y) {
        PoolSpec spec = g.spec();
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        float inv = 1f / (spec.kernelH() * spec.kernelW());
        float[] xv = floats(x);
        float[] yv = floats(y);
        context.threads().parallelFor(g.planes(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * h * w;
                int o = plane * oh * ow;
                for (int r = 0; r < oh; r++) {
                    int hs = r * spec.strideH() - spec.padH();
                    int he = Math.min(hs + spec.kernelH(), h);
                    hs = Math.max(hs, 0);
                    for (int q = 0; q < ow; q++) {
                        int ws = q * spec.strideW() - spec.padW();
                        int we = Math.min(ws + spec.kernelW(), w);
                        ws = Math.max(ws, 0);
                        float s = 0f;
                        for (int i = hs; i < he; i++) {
                            for (int j = ws; j < we; j++) {
                                s += xv[in + i * w + j];
                            }
                        }
                        yv[o + r * ow + q] = s * inv;
                    }
                }
            }
        });
    }

    /** dx = each input's share of dy over the windows that contain it, overwritten. */
    @Override
    public void avgPoolBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        PoolSpec spec = g.spec();
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        float inv = 1f / (spec.kernelH() * spec.kernelW());
        float[] dyv = floats(dy);
        float[] dxv = floats(dx);
        context.threads().parallelFor(g.planes(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int in = plane * h * w;
                int o = plane * oh * ow;
                Arrays.fill(dxv, in, in + h * w, 0f);
                for (int r = 0; r < oh; r++) {
                    int hs = r * spec.strideH() - spec.padH();
                    int he = Math.min(hs + spec.kernelH(), h);
                    hs = Math.max(hs, 0);
                    for (int q = 0; q < ow; q++) {
                        int ws = q * spec.strideW() - spec.padW();
                        int we = Math.min(ws + spec.kernelW(), w);
                        ws = Math.max(ws, 0);
                        float share = dyv[o + r * ow + q] * inv;
                        for (int i = hs; i < he; i++) {
                            for (int j = ws; j < we; j++) {
                                dxv[in + i * w + j] += share;
                            }
                        }
                    }
                }
            }
        });
    }

    /** y[plane] = the float sum of the plane's values in row-major order, divided by H*W. */
    @Override
    public void globalAvgPoolForward(ChannelGeometry g, Tensor x, Tensor y) {
        int inner = g.inner();
        float[] xv = floats(x);
        float[] yv = floats(y);
        context.threads().parallelFor(g.n() * g.channels(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                float s = 0f;
                for (int j = plane * inner, end = j + inner; j < end; j++) {
                    s += xv[j];
                }
                yv[plane] = s / inner;
            }
        });
    }

    /** dx = dy[plane] / (H*W) everywhere in the plane. */
    @Override
    public void globalAvgPoolBackward(ChannelGeometry g, Tensor dy, Tensor dx) {
        int inner = g.inner();
        float[] dyv = floats(dy);
        float[] dxv = floats(dx);
        context.threads().parallelFor(g.n() * g.channels(), (part, p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                Arrays.fill(dxv, plane * inner, (plane + 1) * inner, dyv[plane] / inner);
            }
        });
    }
}
