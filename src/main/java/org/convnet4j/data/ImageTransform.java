package org.convnet4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.convnet4j.tensor.Shape;

/**
 * How a decoded image becomes a model input [C, size, size]:
 * <ol>
 *   <li>resize so the shorter side is {@code resize} pixels, keeping the aspect ratio (the longer side is
 *       floor(resize * long / short)); resize 0 keeps the image as it is;</li>
 *   <li>crop size x size: at a random position (training, when randomCrop) or in the centre
 *       (top = (H' - size) / 2, rounded down; evaluation always);</li>
 *   <li>flip left-right with probability 1/2 (training, when flip);</li>
 *   <li>normalize channel c: x = (p / 255 - mean[c]) / std[c], p in 0..255.</li>
 * </ol>
 * Resizing is bilinear with half-pixel centres (source coordinate (x + 0.5) * W / W' - 0.5, clamped at
 * the edges) and no antialiasing filter, computed only at the cropped pixels, so resize, crop and flip
 * are one pass. An image that needs no resizing is copied pixel for pixel: its floats are exactly
 * (p / 255f - mean) / std.
 *
 * @param channels   C: 1 (gray) or 3 (R, G, B)
 * @param size       side of the square crop, the model's input height and width
 * @param resize     shorter side after resizing, &gt;= size, or 0 for no resizing
 * @param randomCrop training crops at a random position (false: centre, as evaluation)
 * @param flip       training flips half the images left-right
 * @param mean       per-channel mean, C values, in [0, 1] units
 * @param std        per-channel standard deviation, C positive values
 */
public record ImageTransform(int channels, int size, int resize, boolean randomCrop, boolean flip, float[] mean,
                             float[] std) {
    /** ImageNet's per-channel mean and standard deviation (R, G, B). */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    public ImageTransform {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("image transform: channels must be 1 or 3, got " + channels);
        }
        if (size < 1) {
            throw new IllegalArgumentException("image transform: crop size must be >= 1, got " + size);
        }
        if (resize != 0 && resize < size) {
            throw new IllegalArgumentException("--resize " + resize + " is smaller than the model's input side " + size
                    + ": the shorter side must be at least " + size + " (or 0: no resizing)");
        }
        if (mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("--mean and --std need " + channels + " value(s) each (one per channel),"
                    + " got " + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0) || !Float.isFinite(s)) {
                throw new IllegalArgumentException("--std values must be positive, got " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * The defaults for a model's input [C, S, S]: color (AlexNet, S 224 or 227): resize 256, random crop, flip,
     * ImageNet mean and std; gray (LeNet-5, S 28): resize to S, random crop (of nothing, the image is S), no
     * flip (digits are not symmetric), MNIST's mean 0.1307 and std 0.3081.
     */
    public static ImageTransform defaults(Shape input) {
        int c = input.dim(0);
        int s = input.dim(1);
        if (input.dim(2) != s) {
            throw new IllegalArgumentException("image folders feed square inputs; the model takes " + input);
        }
        return c == 3 ? new ImageTransform(3, s, Math.max(256, s), true, true, IMAGENET_MEAN, IMAGENET_STD)
                : new ImageTransform(c, s, s, true, false, new float[] {MnistDataset.MEAN}, new float[] {MnistDataset.STD});
    }

    /** Floats one item takes: C * size * size. */
    public int itemSize() {
        return channels * size * size;
    }

    /** The resized {width, height} of a width x height image. */
    int[] resized(int width, int height) {
        if (resize == 0) {
            return new int[] {width, height};
        }
        return width <= height ? new int[] {resize, (int) ((long) resize * height / width)}
                : new int[] {(int) ((long) resize * width / height), resize};
    }

    /**
     * Writes img as a [C, size, size] item at out[offset ..]. rng null: evaluation (centre crop, no flip);
     * otherwise the crop position and flip are drawn from rng, in that order (top, left, flip).
     */
    void apply(DecodedImage img, SplittableRandom rng, float[] out, int offset) {
        int w = img.width();
        int h = img.height();
        int[] r = resized(w, h);
        int rw = r[0];
        int rh = r[1];
        if (rw < size || rh < size) {
            throw new IllegalArgumentException("image of " + w + "x" + h + " resizes to " + rw + "x" + rh
                    + ", smaller than the crop " + size + "x" + size);
        }
        boolean random = rng != null && randomCrop;
        int top = random ? rng.nextInt(rh - size + 1) : (rh - size) / 2;
        int left = random ? rng.nextInt(rw - size + 1) : (rw - size) / 2;
        boolean mirror = rng != null && flip && rng.nextBoolean();
        int[] x0 = new int[size];
        int[] x1 = new int[size];
        float[] fx = new float[size];
        for (int x = 0; x < size; x++) {
            sample(left + (mirror ? size - 1 - x : x), w, rw, x0, x1, fx, x);
        }
        int[] y0 = new int[size];
        int[] y1 = new int[size];
        float[] fy = new float[size];
        for (int y = 0; y < size; y++) {
            sample(top + y, h, rh, y0, y1, fy, y);
        }
        for (int x = 0; x < size; x++) { // byte offsets of the source columns
            x0[x] *= channels;
            x1[x] *= channels;
        }
        byte[] p = img.pixels();
        int plane = size * size;
        for (int c = 0; c < channels; c++) {
            float m = mean[c];
            float s = std[c];
            int dst = offset + c * plane;
            for (int y = 0; y < size; y++) {
                int row0 = y0[y] * w * channels + c;
                int row1 = y1[y] * w * channels + c;
                float wy = fy[y];
                for (int x = 0; x < size; x++) {
                    float a = p[row0 + x0[x]] & 0xFF;
                    float b = p[row0 + x1[x]] & 0xFF;
                    float d = p[row1 + x0[x]] & 0xFF;
                    float e = p[row1 + x1[x]] & 0xFF;
                    float wx = fx[x];
                    float top2 = a + (b - a) * wx;
                    float v = top2 + (d + (e - d) * wx - top2) * wy;
                    out[dst + y * size + x] = (v / 255f - m) / s;
                }
            }
        }
    }

    /** Source pixels and weight for resized coordinate i of an axis of n source and rn resized pixels. */
    private static void sample(int i, int n, int rn, int[] lo, int[] hi, float[] frac, int at) {
        if (n == rn) {
            lo[at] = i;
            hi[at] = i;
            frac[at] = 0;
            return;
        }
        double s = Math.min(Math.max((i + 0.5) * n / rn - 0.5, 0), n - 1);
        int i0 = (int) s;
        lo[at] = i0;
        hi[at] = Math.min(i0 + 1, n - 1);
        frac[at] = (float) (s - i0);
    }

    /** The transform as a map for summary.json and the checkpoint. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("channels", channels);
        m.put("size", size);
        m.put("resize", resize);
        m.put("random_crop", randomCrop);
        m.put("flip", flip);
        m.put("mean", toList(mean));
        m.put("std", toList(std));
        return m;
    }

    /** The transform {@link #toMap} wrote. */
    public static ImageTransform fromMap(Map<String, Object> m) {
        return new ImageTransform(((Number) m.get("channels")).intValue(), ((Number) m.get("size")).intValue(),
                ((Number) m.get("resize")).intValue(), (Boolean) m.get("random_crop"), (Boolean) m.get("flip"),
                toFloats(m.get("mean")), toFloats(m.get("std")));
    }

    private static List<Double> toList(float[] v) {
        List<Double> l = new ArrayList<>();
        for (float f : v) {
            l.add(Double.parseDouble(Float.toString(f)));
        }
        return l;
    }

    private static float[] toFloats(Object list) {
        List<?> l = (List<?>) list;
        float[] v = new float[l.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) l.get(i)).floatValue();
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageTransform t && toMap().equals(t.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }

    @Override
    public String toString() {
        return "resize " + resize + ", " + (randomCrop ? "random" : "centre") + " crop " + size + ", flip " + flip
                + ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std);
    }
}
