package org.convnet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX files MNIST ships in (http://yann.lecun.com/exdb/mnist/): a big-endian header, then
 * unsigned bytes. Image files (IDX3): magic 2051 (0x00000803), count, rows, cols, then count*rows*cols
 * pixels. Label files (IDX1): magic 2049 (0x00000801), count, then count labels. A file may be raw or
 * gzip-compressed (recognized by its first two bytes, 0x1f 0x8b, whatever its name).
 *
 * <p>Every check throws {@link DataFormatException} with one paragraph naming the file: bad magic, the
 * wrong number of dimensions, images that are not 28x28, a file shorter (truncated) or longer than its
 * header says, a label outside [0, 10).
 */
public final class IdxReader {
    /** Magic number of an IDX3 unsigned-byte file (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX1 unsigned-byte file (labels). */
    public static final int LABELS_MAGIC = 0x00000801;
    /** MNIST image side in pixels. */
    public static final int MNIST_SIDE = 28;
    /** MNIST classes (digits 0..9). */
    public static final int MNIST_CLASSES = 10;

    private IdxReader() {
    }

    /** Reads an MNIST image file: checks magic, three dimensions, 28x28 and the byte length. */
    public static IdxImages readImages(Path file) {
        byte[] bytes = readBytes(file);
        checkMagic(file, bytes, IMAGES_MAGIC, "an image file (IDX3)");
        if (bytes.length < 16) {
            throw truncated(file, "image", 16, bytes.length, "its 16-byte header");
        }
        ByteBuffer header = ByteBuffer.wrap(bytes);
        int count = header.getInt(4);
        int rows = header.getInt(8);
        int cols = header.getInt(12);
        if (count < 0 || rows < 0 || cols < 0) {
            throw new DataFormatException(file + " is not a valid MNIST image file: its header gives a negative"
                    + " dimension (count " + count + ", rows " + rows + ", cols " + cols + ").");
        }
        if (rows != MNIST_SIDE || cols != MNIST_SIDE) {
            throw new DataFormatException(file + " holds " + rows + "x" + cols + " images; MNIST images are "
                    + MNIST_SIDE + "x" + MNIST_SIDE + ". Is this the right file?");
        }
        checkLength(file, "image", bytes.length, 16L + (long) count * rows * cols,
                count + " images of " + rows + "x" + cols);
        return new IdxImages(file, count, rows, cols, bytes, 16);
    }

    /** Reads an MNIST label file: checks magic, one dimension, the byte length and that labels are 0..9. */
    public static byte[] readLabels(Path file) {
        byte[] bytes = readBytes(file);
        checkMagic(file, bytes, LABELS_MAGIC, "a label file (IDX1)");
        if (bytes.length < 8) {
            throw truncated(file, "label", 8, bytes.length, "its 8-byte header");
        }
        int count = ByteBuffer.wrap(bytes).getInt(4);
        if (count < 0) {
            throw new DataFormatException(file + " is not a valid MNIST label file: its header gives a negative"
                    + " count (" + count + ").");
        }
        checkLength(file, "label", bytes.length, 8L + count, count + " labels");
        byte[] labels = new byte[count];
        System.arraycopy(bytes, 8, labels, 0, count);
        for (int i = 0; i < count; i++) {
            if ((labels[i] & 0xFF) >= MNIST_CLASSES) {
                throw new DataFormatException(file + " holds label " + (labels[i] & 0xFF) + " at index " + i
                        + "; MNIST labels must lie in [0, " + MNIST_CLASSES + ").");
            }
        }
        return labels;
    }

    /** The whole file, gunzipped when it starts with the gzip magic bytes. */
    static byte[] readBytes(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(file + " does not exist or is not a regular file.");
        }
        try {
            byte[] raw = Files.readAllBytes(file);
            if (!isGzip(raw)) {
                return raw;
            }
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new DataFormatException(file + " could not be read (" + e.getMessage() + "); a gzip file that"
                    + " is truncated or corrupt fails this way.", e);
        }
    }

    static boolean isGzip(byte[] bytes) {
        return bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1f && (bytes[1] & 0xFF) == 0x8b;
    }

    private static void checkMagic(Path file, byte[] bytes, int expected, String what) {
        if (bytes.length < 4) {
            throw new DataFormatException(file + " is only " + bytes.length + " bytes long, too short to be "
                    + what + " (it needs at least a 4-byte magic number): the file is truncated or empty.");
        }
        int magic = ByteBuffer.wrap(bytes).getInt(0);
        if (magic == expected) {
            return;
        }
        boolean idxUnsignedByte = (magic >>> 8) == 0x08;
        if (idxUnsignedByte) {
            throw new DataFormatException(file + " has magic number " + magic + ": an unsigned-byte IDX file with "
                    + (magic & 0xFF) + " dimension(s), but " + what + " has magic " + expected + " ("
                    + (expected & 0xFF) + " dimension(s)). Are the image and label files swapped?");
        }
        throw new DataFormatException(file + " is not " + what + ": its magic number is " + magic
                + String.format(" (0x%08x)", magic) + ", expected " + expected + ". It is not an IDX file, or it"
                + " is corrupt.");
    }

    private static void checkLength(Path file, String kind, long actual, long expected, String content) {
        if (actual < expected) {
            throw truncated(file, kind, expected, actual, content);
        }
        if (actual > expected) {
            throw new DataFormatException(file + " is " + actual + " bytes long but its header (" + content
                    + ") accounts for " + expected + " bytes: " + (actual - expected) + " unexpected trailing bytes."
                    + " The " + kind + " file is corrupt.");
        }
    }

    private static DataFormatException truncated(Path file, String kind, long expected, long actual, String content) {
        return new DataFormatException(file + " is truncated: the " + kind + " file needs " + expected
                + " bytes for " + content + " but has only " + actual + ". Fetch it again (./convnet4j fetch-mnist).");
    }
}
