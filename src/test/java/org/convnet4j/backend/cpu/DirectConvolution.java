package org.convnet4j.backend.cpu;

/**
 * Convolution written as the textbook loops, in double, as the reference the im2col + GEMM path is
 * checked against. x [N,C,H,W], w [FN,C/groups,FH,FW], y [N,FN,OH,OW]; with groups, PyTorch's definition:
 * filter f reads only the input channels of its group f / (FN/groups), weight tap [f, c'] meets input channel
 * (f / (FN/groups)) * (C/groups) + c'.
 */
final class DirectConvolution {
    final int n;
    final int c;
    final int h;
    final int w;
    final int fn;
    final int fh;
    final int fw;
    final int sh;
    final int sw;
    final int ph;
    final int pw;
    final int dh;
    final int dw;
    final int oh;
    final int ow;
    final int groups;

    DirectConvolution(int n, int c, int h, int w, int fn, int fh, int fw, int sh, int sw, int ph, int pw,
                      int dh, int dw) {
        this(n, c, h, w, fn, fh, fw, sh, sw, ph, pw, dh, dw, 1);
    }

    DirectConvolution(int n, int c, int h, int w, int fn, int fh, int fw, int sh, int sw, int ph, int pw,
                      int dh, int dw, int groups) {
        this.groups = groups;
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.fn = fn;
        this.fh = fh;
        this.fw = fw;
        this.sh = sh;
        this.sw = sw;
        this.ph = ph;
        this.pw = pw;
        this.dh = dh;
        this.dw = dw;
        this.oh = (h + 2 * ph - dh * (fh - 1) - 1) / sh + 1;
        this.ow = (w + 2 * pw - dw * (fw - 1) - 1) / sw + 1;
    }

    /** The input position that output (r, q) reads through filter tap (i, j), or -1 in the padding. */
    private int inputIndex(int img, int ch, int r, int q, int i, int j) {
        int ih = r * sh - ph + i * dh;
        int iw = q * sw - pw + j * dw;
        if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
            return -1;
        }
        return ((img * c + ch) * h + ih) * w + iw;
    }

    /** The index of w[f, ch - first channel of f's group, i, j]. */
    private int weightIndex(int f, int ch, int i, int j) {
        int cg = c / groups;
        return ((f * cg + ch - firstChannel(f)) * fh + i) * fw + j;
    }

    /** The first input channel filter f reads: its group times C/groups. */
    private int firstChannel(int f) {
        return f / (fn / groups) * (c / groups);
    }

    private int outputIndex(int img, int f, int r, int q) {
        return ((img * fn + f) * oh + r) * ow + q;
    }

    /** y = conv(x, w) + b (b may be null). */
    double[] forward(float[] x, float[] wt, float[] b) {
        double[] y = new double[n * fn * oh * ow];
        for (int img = 0; img < n; img++) {
            for (int f = 0; f < fn; f++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double s = b == null ? 0 : b[f];
                        for (int ch = firstChannel(f); ch < firstChannel(f) + c / groups; ch++) {
                            for (int i = 0; i < fh; i++) {
                                for (int j = 0; j < fw; j++) {
                                    int xi = inputIndex(img, ch, r, q, i, j);
                                    if (xi >= 0) {
                                        s += (double) x[xi] * wt[weightIndex(f, ch, i, j)];
                                    }
                                }
                            }
                        }
                        y[outputIndex(img, f, r, q)] = s;
                    }
                }
            }
        }
        return y;
    }

    /** dx = the sum over outputs and taps of dy * w, routed to the input each tap read. */
    double[] backwardData(float[] dy, float[] wt) {
        double[] dx = new double[n * c * h * w];
        for (int img = 0; img < n; img++) {
            for (int f = 0; f < fn; f++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double g = dy[outputIndex(img, f, r, q)];
                        for (int ch = firstChannel(f); ch < firstChannel(f) + c / groups; ch++) {
                            for (int i = 0; i < fh; i++) {
                                for (int j = 0; j < fw; j++) {
                                    int xi = inputIndex(img, ch, r, q, i, j);
                                    if (xi >= 0) {
                                        dx[xi] += g * wt[weightIndex(f, ch, i, j)];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /** dw = sum over images and outputs of dy * x at the tap's input. */
    double[] backwardFilter(float[] x, float[] dy) {
        double[] dwt = new double[fn * c / groups * fh * fw];
        for (int img = 0; img < n; img++) {
            for (int f = 0; f < fn; f++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double g = dy[outputIndex(img, f, r, q)];
                        for (int ch = firstChannel(f); ch < firstChannel(f) + c / groups; ch++) {
                            for (int i = 0; i < fh; i++) {
                                for (int j = 0; j < fw; j++) {
                                    int xi = inputIndex(img, ch, r, q, i, j);
                                    if (xi >= 0) {
                                        dwt[weightIndex(f, ch, i, j)] += g * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dwt;
    }

    /** db[f] = sum of dy over images and positions. */
    double[] backwardBias(float[] dy) {
        double[] db = new double[fn];
        for (int img = 0; img < n; img++) {
            for (int f = 0; f < fn; f++) {
                for (int p = 0; p < oh * ow; p++) {
                    db[f] += dy[(img * fn + f) * oh * ow + p];
                }
            }
        }
        return db;
    }
}
