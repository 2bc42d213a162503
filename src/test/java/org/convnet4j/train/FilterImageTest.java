package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;

/** filters.png: weights as scaled-up squares on one symmetric colour scale, with the scale's legend. */
class FilterImageTest {
    private static final int RED = 0xff0000;
    private static final int WHITE = 0xffffff;
    private static final int BLUE = 0x0000ff;

    @Test
    void lenetConv1IsScaledUpOnOneScale() {
        // Six 5x5 filters: filter f holds (f - 2) * 0.1 everywhere except w[f][0][4][4] = -f * 0.1.
        float[] w = new float[6 * 25];
        for (int f = 0; f < 6; f++) {
            for (int k = 0; k < 25; k++) {
                w[f * 25 + k] = (f - 2) * 0.1f;
            }
            w[f * 25 + 24] = -f * 0.1f;
        }
        BufferedImage img = FilterImage.render(Shape.of(6, 1, 5, 5), w);
        int scale = (FilterImage.MIN_TILE + 4) / 5; // 16
        int tile = 5 * scale;
        assertEquals(2 + 3 * (tile + 2), img.getWidth(), "3 columns of 80-pixel tiles");
        assertTrue(img.getHeight() > 2 + 2 * (tile + 2), "2 rows of tiles and a legend below");
        // m = 0.5 (filter 5's corner): filter 2 (all 0) is white, filter 4 (0.2) a light red, filter 0 (-0.2)
        // a light blue, filter 5's corner (-0.5) full blue; every weight fills a scale x scale square.
        assertSquare(img, 2 + 2 * (tile + 2), 2, scale, WHITE);
        assertSquare(img, 2 + (tile + 2), 2 + (tile + 2), scale, FilterImage.color(0.2f, 0.5f));
        assertEquals(0xff9999, FilterImage.color(0.2f, 0.5f), "0.2 on a scale of 0.5: 60% white");
        assertSquare(img, 2, 2, scale, FilterImage.color(-0.2f, 0.5f));
        assertSquare(img, 2 + 2 * (tile + 2) + 4 * scale, 2 + (tile + 2) + 4 * scale, scale, BLUE);
        // The legend bar runs from -m (blue) through 0 (white) to +m (red).
        int barY = 2 + 2 * (tile + 2) + 8 + 6;
        assertEquals(BLUE, img.getRGB(8, barY) & 0xffffff);
        assertEquals(RED, img.getRGB(img.getWidth() - 9, barY) & 0xffffff);
        assertEquals("0.500", FilterImage.label(0.5f));
    }

    @Test
    void scaleLabelsAndOddValues() {
        assertEquals("3.20e-05", FilterImage.label(3.2e-5f));
        assertEquals("1.50", FilterImage.label(1.5f));
        assertEquals(0, FilterImage.color(Float.NaN, 1f), "not finite: black");
        assertEquals(WHITE, FilterImage.color(0f, 0f), "all-zero filters are white");
        // All-zero weights still render, with a "0" scale.
        BufferedImage img = FilterImage.render(Shape.of(1, 1, 3, 3), new float[9]);
        assertEquals(WHITE, img.getRGB(3, 3) & 0xffffff);
    }

    @Test
    void pngDecodesToTheRenderedPicture() throws java.io.IOException {
        float[] w = org.convnet4j.testing.RandomTensors.uniform(7, 16 * 6 * 25);
        BufferedImage rendered = FilterImage.render(Shape.of(16, 6, 5, 5), w);
        BufferedImage decoded = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(FilterImage.png(Shape.of(16, 6, 5, 5), w)));
        assertEquals(rendered.getWidth(), decoded.getWidth());
        assertEquals(rendered.getHeight(), decoded.getHeight());
        for (int y = 0; y < rendered.getHeight(); y += 7) {
            for (int x = 0; x < rendered.getWidth(); x += 7) {
                assertEquals(rendered.getRGB(x, y), decoded.getRGB(x, y), "pixel (" + x + ", " + y + ")");
            }
        }
    }

    @Test
    void rejectsOtherShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FilterImage.render(Shape.of(6, 25), new float[150]));
        assertTrue(e.getMessage().contains("[FN, C, FH, FW]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FilterImage.render(Shape.of(6, 1, 5, 5), new float[10]));
    }

    private static void assertSquare(BufferedImage img, int x0, int y0, int size, int rgb) {
        for (int y = y0; y < y0 + size; y++) {
            for (int x = x0; x < x0 + size; x++) {
                assertEquals(rgb, img.getRGB(x, y) & 0xffffff, "pixel (" + x + ", " + y + ")");
            }
        }
    }
}
