package org.convnet4j.train;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.convnet4j.tensor.Shape;

/**
 * A picture of convolution filters W [FN, C, FH, FW]: one grey tile per (filter, input channel), rows
 * are filters when C &gt; 1 (one column per channel, at most 16 channels), else filters fill a square-ish
 * grid. Each tile is scaled to its own min..max (black..white) and upscaled by nearest neighbour to at
 * least 32 pixels a side, with a 2-pixel gap between tiles.
 */
public final class FilterImage {
    private static final int GAP = 2;
    private static final int MIN_TILE = 48;
    private static final int MAX_CHANNELS = 16;

    private FilterImage() {
    }

    /** Renders the filters (values in NCHW order, shape [FN, C, FH, FW]). */
    public static BufferedImage render(Shape shape, float[] w) {
        if (shape.rank() != 4) {
            throw new IllegalArgumentException("FilterImage: filters must be [FN, C, FH, FW], got " + shape);
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
        BufferedImage img = new BufferedImage(GAP + cols * (tileW + GAP), GAP + rows * (tileH + GAP),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(0x30, 0x60, 0x90));
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.dispose();
        int tile = 0;
        for (int f = 0; f < fn; f++) {
            for (int ch = 0; ch < channels; ch++, tile++) {
                int row = c > 1 ? f : tile / cols;
                int col = c > 1 ? ch : tile % cols;
                int base = ((f * c) + ch) * fh * fw;
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < fh * fw; k++) {
                    min = Math.min(min, w[base + k]);
                    max = Math.max(max, w[base + k]);
                }
                float range = max > min ? max - min : 1f;
                int x0 = GAP + col * (tileW + GAP);
                int y0 = GAP + row * (tileH + GAP);
                for (int y = 0; y < tileH; y++) {
                    for (int x = 0; x < tileW; x++) {
                        float v = w[base + (y / scale) * fw + (x / scale)];
                        int grey = Float.isFinite(v) ? Math.round(255 * (v - min) / range) : 255;
                        img.setRGB(x0 + x, y0 + y, (grey << 16) | (grey << 8) | grey);
                    }
                }
            }
        }
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
}
