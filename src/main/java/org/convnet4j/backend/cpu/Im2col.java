package org.convnet4j.backend.cpu;

import java.util.Arrays;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvSpec;

/**
 * Caffe's im2col and col2im for one image. The column matrix is [C*FH*FW, OH*OW]: row
 * (c*FH + kh)*FW + kw, column oh*OW + ow holds x[c, oh*strideH - padH + kh*dilationH,
 * ow*strideW - padW + kw*dilationW], or 0 where that position falls in the padding.
 */
final class Im2col {
    private Im2col() {
    }

    /** True when the column matrix equals the input image itself (1x1 filter, stride 1, no padding). */
    static boolean isIdentity(ConvGeometry g) {
        ConvSpec s = g.spec();
        return g.fh() == 1 && g.fw() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() == 0 && s.padW() == 0;
    }

    /** col[colOff ...] = the column matrix of the image x[xOff ...]. */
    static void im2col(ConvGeometry g, float[] x, int xOff, float[] col, int colOff) {
        int channels = g.c();
        int height = g.h();
        int width = g.w();
        int fh = g.fh();
        int fw = g.fw();
        int outH = g.oh();
        int outW = g.ow();
        ConvSpec s = g.spec();
        int strideW = s.strideW();
        int p = outH * outW;
        for (int c = 0; c < channels; c++) {
            int plane = xOff + c * height * width;
            for (int kh = 0; kh < fh; kh++) {
                for (int kw = 0; kw < fw; kw++) {
                    int row = colOff + ((c * fh + kh) * fw + kw) * p;
                    int dh = kh * s.dilationH() - s.padH();
                    int dw = kw * s.dilationW() - s.padW();
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * s.strideH() + dh;
                        int dst = row + oh * outW;
                        if (ih < 0 || ih >= height) {
                            Arrays.fill(col, dst, dst + outW, 0f);
                            continue;
                        }
                        int src = plane + ih * width;
                        if (strideW == 1) {
                            // Contiguous source: zeros, a copy, zeros.
                            int lo = Math.max(0, -dw);
                            int hi = Math.min(outW, width - dw);
                            if (hi < lo) {
                                hi = lo;
                            }
                            Arrays.fill(col, dst, dst + lo, 0f);
                            if (hi > lo) {
                                System.arraycopy(x, src + lo + dw, col, dst + lo, hi - lo);
                            }
                            Arrays.fill(col, dst + hi, dst + outW, 0f);
                        } else {
                            for (int ow = 0; ow < outW; ow++) {
                                int iw = ow * strideW + dw;
                                col[dst + ow] = iw >= 0 && iw < width ? x[src + iw] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * dx[xOff ...] += the column matrix scattered back to image positions (each column entry added to
     * the input element it was copied from). The caller zeroes dx first for an overwrite. Each element
     * receives its contributions in the fixed order of the loops, so the result is deterministic.
     */
    static void col2im(ConvGeometry g, float[] col, int colOff, float[] dx, int xOff) {
        int channels = g.c();
        int height = g.h();
        int width = g.w();
        int fh = g.fh();
        int fw = g.fw();
        int outH = g.oh();
        int outW = g.ow();
        ConvSpec s = g.spec();
        int strideW = s.strideW();
        int p = outH * outW;
        for (int c = 0; c < channels; c++) {
            int plane = xOff + c * height * width;
            for (int kh = 0; kh < fh; kh++) {
                for (int kw = 0; kw < fw; kw++) {
                    int row = colOff + ((c * fh + kh) * fw + kw) * p;
                    int dh = kh * s.dilationH() - s.padH();
                    int dw = kw * s.dilationW() - s.padW();
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * s.strideH() + dh;
                        if (ih < 0 || ih >= height) {
                            continue;
                        }
                        int src = row + oh * outW;
                        int dst = plane + ih * width;
                        if (strideW == 1) {
                            int lo = Math.max(0, -dw);
                            int hi = Math.min(outW, width - dw);
                            for (int ow = lo; ow < hi; ow++) {
                                dx[dst + ow + dw] += col[src + ow];
                            }
                        } else {
                            for (int ow = 0; ow < outW; ow++) {
                                int iw = ow * strideW + dw;
                                if (iw >= 0 && iw < width) {
                                    dx[dst + iw] += col[src + ow];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
