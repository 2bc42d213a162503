package org.convnet4j.train;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.convnet4j.tensor.Shape;

/**
 * A picture of convolution filters W [FN, C, FH, FW] (filters.png): one tile per (filter, input channel),
 * rows are filters when C &gt; 1 (one column per channel, at most 16 channels), else filters fill a
 * square-ish grid. Each weight is a square of pixels (nearest neighbour), tiles at least {@value #MIN_TILE}
 * pixels a side, so a 5x5 filter is drawn 16x.
 *
 * <p>All tiles share one colour scale, symmetric about zero: with m = max |w| over the drawn weights,
 * -m is blue, 0 white and +m red (linear in between), so tiles can be compared with each other. A legend
 * below the tiles shows the scale as a bar labelled -m, 0 and +m. Weights that are not finite are black.
 * The labels use a built-in pixel font, so drawing needs no font from the system (headless hosts without
 * fonts included).
 */
public final class FilterImage {
    private static final int GAP = 2;
    static final int MIN_TILE = 80;
    private static final int MAX_CHANNELS = 16;
    private static final int BACKGROUND = 0x404040;
    private static final int TEXT = 0xffffff;
    /** Legend: margin, bar height, gap above the labels; labels are the 3x5 glyphs below, drawn 2x. */
    private static final int MARGIN = 8;
    private static final int BAR = 12;
    private static final int FONT_SCALE = 2;
    private static final int LEGEND = MARGIN + BAR + 4 + 5 * FONT_SCALE + MARGIN;
    private static final int MIN_WIDTH = 200;
    /** 3x5 glyphs, rows top to bottom, '1' = ink. */
    private static final Map<Character, String> GLYPHS = Map.ofEntries(
            Map.entry('0', "111101101101111"), Map.entry('1', "010110010010111"),
            Map.entry('2', "111001111100111"), Map.entry('3', "111001111001111"),
            Map.entry('4', "101101111001001"), Map.entry('5', "111100111001111"),
            Map.entry('6', "111100111101111"), Map.entry('7', "111001010010010"),
            Map.entry('8', "111101111101111"), Map.entry('9', "111101111001111"),
            Map.entry('-', "000000111000000"), Map.entry('+', "000010111010000"),
            Map.entry('.', "000000000000010"), Map.entry('e', "000011111100011"));

    private FilterImage() {
    }

    /** Renders the filters (values in NCHW order, shape [FN, C, FH, FW]). */
    public static BufferedImage render(Shape shape, float[] w) {
        if (shape.rank() != 4) {
            throw new IllegalArgumentException("FilterImage: filters must be [FN, C, FH, FW], got " + shape);
        }
        if (w.length != shape.size()) {
            throw new IllegalArgumentException("FilterImage: " + shape + " needs " + shape.size() + " values, got " + w.length);
        }
        int fn = shape.dim(0);
        int c = shape.dim(1);
        int fh = shape.dim(2);
        int fw = shape.dim(3);
        int channels = Math.min(c, MAX_CHANNELS);
        int cols;
        int rows;
        if (c > 1) {
            cols = channels;
            rows = fn;
        } else {
            cols = (int) Math.ceil(Math.sqrt(fn));
            rows = (fn + cols - 1) / cols;
        }
        int scale = Math.max(1, (MIN_TILE + Math.max(fh, fw) - 1) / Math.max(fh, fw));
        int tileW = fw * scale;
        int tileH = fh * scale;
        int gridW = GAP + cols * (tileW + GAP);
        int gridH = GAP + rows * (tileH + GAP);
        BufferedImage img = new BufferedImage(Math.max(gridW, MIN_WIDTH), gridH + LEGEND, BufferedImage.TYPE_INT_RGB);
        fill(img, 0, 0, img.getWidth(), img.getHeight(), BACKGROUND);
        float m = maxAbs(shape, w, channels);
        int tile = 0;
        for (int f = 0; f < fn; f++) {
            for (int ch = 0; ch < channels; ch++, tile++) {
                int row = c > 1 ? f : tile / cols;
                int col = c > 1 ? ch : tile % cols;
                int base = ((f * c) + ch) * fh * fw;
                int x0 = GAP + col * (tileW + GAP);
                int y0 = GAP + row * (tileH + GAP);
                for (int y = 0; y < fh; y++) {
                    for (int x = 0; x < fw; x++) {
                        fill(img, x0 + x * scale, y0 + y * scale, scale, scale, color(w[base + y * fw + x], m));
                    }
                }
            }
        }
        legend(img, gridH, m);
        return img;
    }

    /** The rendered filters as PNG bytes. */
    public static byte[] png(Shape shape, float[] w) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(render(shape, w), "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed in memory: " + e.getMessage(), e);
        }
        return png.toByteArray();
    }

    /** The colour of v on the scale -m (blue) .. 0 (white) .. +m (red); black when v is not finite. */
    static int color(float v, float m) {
        if (!Float.isFinite(v)) {
            return 0;
        }
        float t = m > 0 ? Math.max(-1f, Math.min(1f, v / m)) : 0f;
        int fade = Math.round(255 * (1 - Math.abs(t)));
        return t < 0 ? (fade << 16) | (fade << 8) | 0xff : (0xff << 16) | (fade << 8) | fade;
    }

    /** max |w| over the finite weights of the drawn channels (0 when there are none). */
    private static float maxAbs(Shape shape, float[] w, int channels) {
        int c = shape.dim(1);
        int area = shape.dim(2) * shape.dim(3);
        float m = 0f;
        for (int f = 0; f < shape.dim(0); f++) {
            for (int k = 0; k < channels * area; k++) {
                float v = w[f * c * area + k];
                if (Float.isFinite(v)) {
                    m = Math.max(m, Math.abs(v));
                }
            }
        }
        return m;
    }

    /** The colour bar from -m to +m under the tiles, labelled at both ends and at 0. */
    private static void legend(BufferedImage img, int top, float m) {
        int x0 = MARGIN;
        int width = img.getWidth() - 2 * MARGIN;
        int y0 = top + MARGIN;
        for (int x = 0; x < width; x++) {
            float v = m * (2f * x / (width - 1) - 1f);
            fill(img, x0 + x, y0, 1, BAR, color(v, m));
        }
        int textY = y0 + BAR + 4;
        String hi = label(m);
        text(img, "-" + hi, x0, textY);
        text(img, "0", x0 + (width - textWidth("0")) / 2, textY);
        text(img, "+" + hi, x0 + width - textWidth("+" + hi), textY);
    }

    /** m with three significant digits: 0.412, 1.50, 3.20e-05. */
    static String label(float m) {
        if (m == 0f) {
            return "0";
        }
        return m >= 1e-3f && m < 1e4f ? String.format(Locale.ROOT, "%.3g", m)
                : String.format(Locale.ROOT, "%.2e", m);
    }

    private static int textWidth(String s) {
        return s.length() * 4 * FONT_SCALE - FONT_SCALE;
    }

    private static void text(BufferedImage img, String s, int x, int y) {
        for (int i = 0; i < s.length(); i++) {
            String glyph = GLYPHS.get(s.charAt(i));
            if (glyph == null) {
                throw new IllegalArgumentException("FilterImage: no glyph for '" + s.charAt(i) + "' in " + s);
            }
            for (int p = 0; p < 15; p++) {
                if (glyph.charAt(p) == '1') {
                    fill(img, x + i * 4 * FONT_SCALE + (p % 3) * FONT_SCALE, y + (p / 3) * FONT_SCALE,
                            FONT_SCALE, FONT_SCALE, TEXT);
                }
            }
        }
    }

    private static void fill(BufferedImage img, int x, int y, int w, int h, int rgb) {
        for (int yy = y; yy < y + h; yy++) {
            for (int xx = x; xx < x + w; xx++) {
                img.setRGB(xx, yy, rgb);
            }
        }
    }
}
