package org.convnet4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads JPEG and PNG files through the JDK's ImageIO into {@link DecodedImage}s with the channel count a
 * model wants: gray images become color by repeating the gray value, color images become gray by ITU-R
 * 601 luma, round(0.299 R + 0.587 G + 0.114 B) (what PIL's convert("L") computes), and an alpha channel
 * is dropped. 8-bit gray, RGB and RGBA rasters (what ImageIO gives for baseline JPEGs and most PNGs) are
 * read byte for byte; any other layout (palette, 16-bit) goes through {@link BufferedImage#getRGB}.
 */
final class ImageDecoder {
    static {
        ImageIO.setUseCache(false); // decode in memory, never through temporary files
    }

    private ImageDecoder() {
    }

    /** Whether a file name ends in .jpg, .jpeg or .png (any case): the files an image folder reads. */
    static boolean isImageName(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    /** Width and height from the file's header, without decoding pixels: {width, height}. */
    static int[] size(Path file) {
        return read(file, reader -> new int[] {reader.getWidth(0), reader.getHeight(0)});
    }

    /**
     * The file's pixels with channels (1 or 3) channels. A reader warning (ImageIO's JPEG reader warns, and
     * fills the rest with gray, when a file ends early) is an error: a damaged image is not trained on.
     */
    static DecodedImage decode(Path file, int channels) {
        BufferedImage img = read(file, reader -> {
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage read = reader.read(0);
            if (!warnings.isEmpty()) {
                throw new DataFormatException(file + " is damaged (ImageIO: " + String.join("; ", warnings)
                        + "): replace or remove it");
            }
            return read;
        });
        return convert(img, channels);
    }

    /** What a step reading from an ImageIO reader set on file returns. */
    private interface ReaderStep<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Runs step with the reader ImageIO picks for file's contents; any failure names the file. */
    private static <T> T read(Path file, ReaderStep<T> step) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw notAnImage(file, null);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return step.apply(reader);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw e instanceof DataFormatException d ? d : notAnImage(file, e);
        }
    }

    static DecodedImage convert(BufferedImage img, int channels) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[w * h * channels];
        Raster raster = img.getRaster();
        int bands = raster.getNumBands();
        boolean plainBytes = img.getColorModel() instanceof ComponentColorModel cm
                && raster.getTransferType() == DataBuffer.TYPE_BYTE
                && (cm.getColorSpace().isCS_sRGB() && (bands == 3 || bands == 4)
                || cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && (bands == 1 || bands == 2));
        if (plainBytes) {
            int srcChannels = bands == 4 ? 3 : bands == 2 ? 1 : bands;
            byte[] row = new byte[w * bands];
            for (int y = 0; y < h; y++) {
                raster.getDataElements(0, y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    int s = x * bands;
                    if (srcChannels == 1) {
                        put(out, (y * w + x) * channels, channels, row[s] & 0xFF);
                    } else {
                        put(out, (y * w + x) * channels, channels, row[s] & 0xFF, row[s + 1] & 0xFF, row[s + 2] & 0xFF);
                    }
                }
            }
        } else {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < w * h; i++) {
                int p = argb[i];
                put(out, i * channels, channels, (p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF);
            }
        }
        return new DecodedImage(w, h, channels, out);
    }

    private static void put(byte[] out, int at, int channels, int gray) {
        for (int c = 0; c < channels; c++) {
            out[at + c] = (byte) gray;
        }
    }

    private static void put(byte[] out, int at, int channels, int r, int g, int b) {
        if (channels == 1) {
            out[at] = (byte) ((r * 299 + g * 587 + b * 114 + 500) / 1000);
        } else {
            out[at] = (byte) r;
            out[at + 1] = (byte) g;
            out[at + 2] = (byte) b;
        }
    }

    private static DataFormatException notAnImage(Path file, Exception cause) {
        return new DataFormatException(file + " is not a readable JPEG or PNG image"
                + (cause == null ? "" : " (" + cause.getMessage() + ")")
                + ": fix or remove it (an image folder reads every .jpg, .jpeg and .png file in its class folders)",
                cause);
    }
}
