package org.convnet4j.data;

import java.nio.file.Path;

/**
 * The images of an IDX3 file: count images of rows x cols unsigned bytes, row-major, image after image,
 * starting at offset in data.
 */
public record IdxImages(Path source, int count, int rows, int cols, byte[] data, int offset) {

    /** Bytes (pixels) per image. */
    public int imageSize() {
        return rows * cols;
    }

    /** Pixel (r, c) of image i, 0..255. */
    public int pixel(int i, int r, int c) {
        return data[offset + i * imageSize() + r * cols + c] & 0xFF;
    }
}
