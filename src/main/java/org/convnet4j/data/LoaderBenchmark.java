package org.convnet4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * The image-folder loader's throughput: generated JPEGs of a given size (color waves plus per-pixel
 * noise, tuned so a 500x375 file takes about 100 KB at ImageIO's default quality 0.75, like an ImageNet
 * photograph), read as a training set
 * through {@link ImageFolderDataset#forEpoch} (decode, resize the shorter side, random crop, flip,
 * normalize, with read-ahead), timed in batches. Reports images per second, and per decoding thread.
 */
public final class LoaderBenchmark {
    /**
     * One measurement.
     *
     * @param width         generated image width
     * @param height        generated image height
     * @param meanFileBytes mean JPEG file size
     * @param threads       decoding threads
     * @param imagesPerSecond decoded and augmented images per second
     */
    public record Result(int width, int height, long meanFileBytes, int threads, double imagesPerSecond) {
        /** Images per second per decoding thread. */
        public double perThread() {
            return imagesPerSecond / threads;
        }
    }

    /** Per-pixel noise amplitude of the generated images (sets their JPEG size). */
    private static final int NOISE = 128;

    private LoaderBenchmark() {
    }

    /** Writes count width x height JPEGs into dir/a and dir/b (half each); returns their mean size in bytes. */
    public static long writeJpegs(Path dir, int count, int width, int height, long seed) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
            double fx = 0.01 + rng.nextDouble() * 0.05;
            double fy = 0.01 + rng.nextDouble() * 0.05;
            int base = rng.nextInt(0x1000000);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    double s = Math.sin(x * fx) * Math.cos(y * fy);
                    int n = rng.nextInt(NOISE);
                    int r = clamp(((base >> 16) & 0xFF) / 2 + (int) (60 * s) + n);
                    int g = clamp(((base >> 8) & 0xFF) / 2 + (int) (60 * Math.sin((x + y) * fx)) + n);
                    int b = clamp((base & 0xFF) / 2 + (int) (60 * Math.cos(x * fy)) + n);
                    img.setRGB(x, y, r << 16 | g << 8 | b);
                }
            }
            Path f = dir.resolve((i % 2 == 0 ? "a" : "b") + "/" + String.format("%05d.jpg", i));
            Files.createDirectories(f.getParent());
            ImageIO.write(img, "jpg", f.toFile());
            bytes += Files.size(f);
        }
        return bytes / count;
    }

    /**
     * Milliseconds per image, on this thread, of decoding the first count images under dir and of
     * transforming them (resize, random crop, flip, normalize): {decode, transform}.
     */
    public static double[] splitMillis(Path dir, int count, ImageTransform transform) {
        List<java.nio.file.Path> files = ImageFolder.scan(dir).files();
        int n = Math.min(count, files.size());
        float[] out = new float[transform.itemSize()];
        double[] ms = new double[2];
        for (int pass = 0; pass < 2; pass++) { // the first pass warms the JIT up
            long decode = 0;
            long apply = 0;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                DecodedImage img = ImageDecoder.decode(files.get(i), transform.channels());
                long t1 = System.nanoTime();
                transform.apply(img, new SplittableRandom(i), out, 0);
                apply += System.nanoTime() - t1;
                decode += t1 - t0;
            }
            ms[0] = decode / 1e6 / n;
            ms[1] = apply / 1e6 / n;
        }
        return ms;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /**
     * Times epochs over the images under dir with transform on each of the thread counts, for at least
     * minImages images after one untimed warm-up epoch; batch images per batch.
     */
    public static List<Result> run(Path dir, int width, int height, long meanFileBytes, ImageTransform transform,
                                   int[] threadCounts, int batch, int minImages, Consumer<String> log) {
        ImageFolder folder = ImageFolder.scan(dir);
        List<Result> results = new ArrayList<>();
        for (int threads : threadCounts) {
            try (DecodePool pool = new DecodePool(threads, DecodePool.DEFAULT_READ_AHEAD)) {
                ImageFolderDataset d = new ImageFolderDataset("bench", folder, transform, true, 1, pool, Map.of());
                int steps = d.size() / batch;
                if (steps < 1) {
                    throw new IllegalArgumentException("--images " + d.size() + " is fewer than one batch of " + batch);
                }
                float[] images = new float[batch * d.itemSize()];
                int[] labels = new int[batch];
                int[] order = new int[steps * batch];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                long start = 0;
                int done = 0;
                for (int epoch = 0; done < minImages; epoch++) {
                    if (epoch == 1) {
                        start = System.nanoTime();
                    }
                    Dataset e = d.forEpoch(epoch, order, batch);
                    for (int s = 0; s < steps; s++) {
                        e.copyBatch(order, s * batch, batch, images, labels);
                    }
                    done += epoch == 0 ? 0 : steps * batch;
                }
                Result r = new Result(width, height, meanFileBytes, pool.threads(), done / ((System.nanoTime() - start) / 1e9));
                log.accept(String.format(java.util.Locale.ROOT, "%dx%d JPEG (%d KB), %d thread(s): %.0f images/s, %.0f per thread",
                        width, height, meanFileBytes / 1024, r.threads(), r.imagesPerSecond(), r.perThread()));
                results.add(r);
            }
        }
        return results;
    }
}
