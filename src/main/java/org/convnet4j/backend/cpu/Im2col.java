package org.convnet4j.backend.cpu;

/**
 * Caffe's im2col and col2im for one image. The column matrix is [C*FH*FW, OH*OW]: row
 * (c*FH + kh)*FW + kw, column oh*OW + ow holds x[c, oh*strideH - padH + kh*dilationH,
 * ow*strideW - padW + kw*dilationW], or 0 where that position falls in the padding.
 */
final class Im2col {
    private Im2col() {
    }

    /** Geometry of one convolution: input [c, h, w], filter [fh, fw], output [oh, ow]. */
    record Geometry(int c, int h, int w, int fh, int fw, int oh, int ow,
                    int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
        int colRows() {
            return c * fh * fw;
        }

        int colCols() {
            return oh * ow;
        }

        /** True when the column matrix equals the input image itself (1x1 filter, stride 1, no padding). */
        boolean isIdentity() {
            return fh == 1 && fw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0;
        }
    }

    /** col[colOff ...] = the column matrix of the image x[xOff ...]. */
    static void im2col(Geometry g, float[] x, int xOff, float[] col, int colOff) {
        int p = g.oh * g.ow;
        for (int c = 0; c < g.c; c++) {
            int plane = xOff + c * g.h * g.w;
            for (int kh = 0; kh < g.fh; kh++) {
                for (int kw = 0; kw < g.fw; kw++) {
                    int row = colOff + ((c * g.fh + kh) * g.fw + kw) * p;
                    int dh = kh * g.dilationH - g.padH;
                    int dw = kw * g.dilationW - g.padW;
                    for (int oh = 0; oh < g.oh; oh++) {
                        int ih = oh * g.strideH + dh;
                        int dst = row + oh * g.ow;
                        if (ih < 0 || ih >= g.h) {
                            java.util.Arrays.fill(col, dst, dst + g.ow, 0f);
                            continue;
                        }
                        int src = plane + ih * g.w;
                        if (g.strideW == 1) {
                            // Contiguous source: zeros, a copy, zeros.
                            int lo = Math.max(0, -dw);
                            int hi = Math.min(g.ow, g.w - dw);
                            if (hi < lo) {
                                hi = lo;
                            }
                            java.util.Arrays.fill(col, dst, dst + lo, 0f);
                            if (hi > lo) {
                                System.arraycopy(x, src + lo + dw, col, dst + lo, hi - lo);
                            }
                            java.util.Arrays.fill(col, dst + hi, dst + g.ow, 0f);
                        } else {
                            for (int ow = 0; ow < g.ow; ow++) {
                                int iw = ow * g.strideW + dw;
                                col[dst + ow] = iw >= 0 && iw < g.w ? x[src + iw] : 0f;
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
    static void col2im(Geometry g, float[] col, int colOff, float[] dx, int xOff) {
        int p = g.oh * g.ow;
        for (int c = 0; c < g.c; c++) {
            int plane = xOff + c * g.h * g.w;
            for (int kh = 0; kh < g.fh; kh++) {
                for (int kw = 0; kw < g.fw; kw++) {
                    int row = colOff + ((c * g.fh + kh) * g.fw + kw) * p;
                    int dh = kh * g.dilationH - g.padH;
                    int dw = kw * g.dilationW - g.padW;
                    for (int oh = 0; oh < g.oh; oh++) {
                        int ih = oh * g.strideH + dh;
                        if (ih < 0 || ih >= g.h) {
                            continue;
                        }
                        int src = row + oh * g.ow;
                        int dst = plane + ih * g.w;
                        if (g.strideW == 1) {
                            int lo = Math.max(0, -dw);
                            int hi = Math.min(g.ow, g.w - dw);
                            for (int ow = lo; ow < hi; ow++) {
                                dx[dst + ow + dw] += col[src + ow];
                            }
                        } else {
                            for (int ow = 0; ow < g.ow; ow++) {
                                int iw = ow * g.strideW + dw;
                                if (iw >= 0 && iw < g.w) {
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
