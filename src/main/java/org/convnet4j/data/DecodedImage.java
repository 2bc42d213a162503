package org.convnet4j.data;

/**
 * A decoded image as bytes: pixel (y, x), channel c at pixels[(y * width + x) * channels + c], channels 1
 * (gray) or 3 (R, G, B), values 0..255.
 */
record DecodedImage(int width, int height, int channels, byte[] pixels) {
}
