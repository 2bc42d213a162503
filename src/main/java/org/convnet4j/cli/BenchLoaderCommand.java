package org.convnet4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.convnet4j.data.ImageTransform;
import org.convnet4j.data.LoaderBenchmark;
import org.convnet4j.models.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convnet4j bench-loader}: images per second of the image-folder loader on generated JPEGs. */
@Command(name = "bench-loader", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Times the image-folder loader (JPEG decode through ImageIO, resize, random crop, flip,"
                + " normalize) on generated JPEGs, with one decoding thread and with every processor.",
                "Prints images per second and per thread for each image size, then a Markdown table."})
final class BenchLoaderCommand extends BaseCommand {
    @Option(names = "--sizes", split = ",", defaultValue = "256x256,500x375", paramLabel = "WxH",
            description = "Image sizes to generate. Default: ${DEFAULT-VALUE} (500x375: ImageNet's typical size).")
    List<String> sizes;

    @Option(names = "--images", defaultValue = "256", description = "JPEGs generated per size. Default: ${DEFAULT-VALUE}.")
    int images;

    @Option(names = "--threads", split = ",", paramLabel = "N", description = "Decoding thread counts to time."
            + " Default: 1 and every processor.")
    int[] threads;

    @Option(names = "--min-images", defaultValue = "512", description = "Images timed per measurement (whole"
            + " epochs, after an untimed one). Default: ${DEFAULT-VALUE}.")
    int minImages;

    @Option(names = "--model", defaultValue = "alexnet-owt", description = "Model whose input and default transform"
            + " to use. Default: ${DEFAULT-VALUE} (resize 256, crop 224).")
    String model;

    @Option(names = "--batch", defaultValue = "128", description = "Batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to write the JPEGs (kept). Default: a temporary"
            + " folder, deleted afterwards.")
    Path dir;

    @Override
    public Integer call() throws IOException {
        if (images < 2 || minImages < 1 || batch < 1 || batch > images) {
            throw usage("need --images >= 2, --min-images >= 1 and 1 <= --batch <= --images");
        }
        int all = Runtime.getRuntime().availableProcessors();
        int[] counts = threads != null ? threads : all == 1 ? new int[] {1} : new int[] {1, all};
        ImageTransform transform;
        try {
            transform = ImageTransform.defaults(Models.inputShape(model));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        out().printf(Locale.ROOT, "bench-loader: %s, batch %d, %d processor(s), %s%n", transform, batch, all,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        Path root = dir != null ? dir : Files.createTempDirectory("convnet4j-bench-loader-");
        List<LoaderBenchmark.Result> results = new ArrayList<>();
        try {
            for (String size : sizes) {
                String[] wh = size.toLowerCase(Locale.ROOT).split("x");
                if (wh.length != 2) {
                    throw usage("--sizes takes WxH values such as 500x375, got " + size);
                }
                int w = Integer.parseInt(wh[0].strip());
                int h = Integer.parseInt(wh[1].strip());
                Path sub = root.resolve(w + "x" + h);
                long bytes = LoaderBenchmark.writeJpegs(sub, images, w, h, 7);
                double[] ms = LoaderBenchmark.splitMillis(sub, Math.min(images, 64), transform);
                out().printf(Locale.ROOT, "%dx%d JPEG (%d KB), 1 thread, no read-ahead: decode %.2f ms, resize + crop +"
                        + " flip + normalize %.2f ms per image%n", w, h, bytes / 1024, ms[0], ms[1]);
                results.addAll(LoaderBenchmark.run(sub, w, h, bytes, transform, counts, batch, minImages,
                        line -> out().println(line)));
            }
        } finally {
            if (dir == null) {
                try (Stream<Path> s = Files.walk(root)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        out().println();
        out().println("| image | JPEG KB | threads | images/s | images/s per thread |");
        out().println("| --- | ---: | ---: | ---: | ---: |");
        for (LoaderBenchmark.Result r : results) {
            out().printf(Locale.ROOT, "| %dx%d | %d | %d | %.0f | %.0f |%n", r.width(), r.height(),
                    r.meanFileBytes() / 1024, r.threads(), r.imagesPerSecond(), r.perThread());
        }
        return 0;
    }
}
