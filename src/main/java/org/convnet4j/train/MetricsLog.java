package org.convnet4j.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * metrics.csv: a header line, then one line per epoch. It is a view of the metrics history the latest
 * checkpoint carries: rewritten whole and atomically ({@link RunDirectory#write}) after each checkpoint
 * and when a run resumes, so after any crash it holds exactly one row per epoch of that checkpoint.
 */
public final class MetricsLog {
    /** The header line. */
    public static final String HEADER = "epoch,train_loss,train_accuracy,test_accuracy,seconds,images_per_second";

    private final Path file;

    public MetricsLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Replaces the file by the header and one row per epoch of history. */
    public void write(List<EpochMetrics> history) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (EpochMetrics m : history) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.3f,%.1f%n", m.epoch(), m.trainLoss(),
                    m.trainAccuracy(), m.testAccuracy(), m.seconds(), m.imagesPerSecond()));
        }
        try {
            RunDirectory.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RunDirectoryException("Could not write " + file + ": " + e.getMessage()
                    + ". The checkpoint holds the same rows; --resume writes them again.", e);
        }
    }

    /**
     * The epochs recorded so far, at most up to maxEpoch (when an epoch appears twice, the later row wins).
     * Empty when the file does not exist. Only for checkpoints written before they carried their history.
     */
    public List<EpochMetrics> read(int maxEpoch) {
        List<EpochMetrics> rows = new ArrayList<>();
        if (!Files.exists(file)) {
            return rows;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.equals(HEADER)) {
                    continue;
                }
                String[] f = line.split(",");
                if (f.length != 6) {
                    throw new IllegalStateException(file + " line " + (i + 1) + " has " + f.length
                            + " fields, expected 6 (" + HEADER + ")");
                }
                EpochMetrics m = new EpochMetrics(Integer.parseInt(f[0]), Double.parseDouble(f[1]),
                        Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                        Double.parseDouble(f[5]));
                if (m.epoch() <= maxEpoch) {
                    rows.removeIf(r -> r.epoch() == m.epoch());
                    rows.add(m);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("could not read " + file + ": " + e, e);
        }
        return rows;
    }
}
