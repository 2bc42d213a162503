package org.convnet4j.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * summary.json: what a run was and how it ended, rewritten after every epoch. Fields: model, dataset,
 * optimizer, lr, lr_decay, weight_decay, batch, seed, epochs (completed), test_accuracy (a fraction, after the last
 * epoch), best_test_accuracy, train_loss, seconds (sum over all epochs, resumed ones included),
 * images_per_second (of the last epoch), device (backend name), backend_description, checkpoint.
 */
public final class RunSummary {
    private RunSummary() {
    }

    /** The summary as an ordered map (what {@link #write} serializes). */
    public static Map<String, Object> toMap(TrainConfig config, String device, String backendDescription,
                                            List<EpochMetrics> history, Path lastCheckpoint) {
        Map<String, Object> m = new LinkedHashMap<>();
        EpochMetrics last = history.isEmpty() ? null : history.get(history.size() - 1);
        m.put("model", config.model());
        m.put("dataset", config.dataset());
        m.put("optimizer", config.optimizer());
        m.put("lr", Double.parseDouble(Float.toString(config.lr())));
        m.put("lr_decay", Double.parseDouble(Float.toString(config.lrDecay())));
        m.put("weight_decay", Double.parseDouble(Float.toString(config.weightDecay())));
        m.put("batch", config.batch());
        m.put("seed", config.seed());
        m.put("limit_train", config.limitTrain());
        m.put("epochs", last == null ? 0 : last.epoch());
        m.put("test_accuracy", last == null ? null : last.testAccuracy());
        m.put("best_test_accuracy", history.stream().mapToDouble(EpochMetrics::testAccuracy).max().orElse(0));
        m.put("train_loss", last == null ? null : last.trainLoss());
        m.put("seconds", history.stream().mapToDouble(EpochMetrics::seconds).sum());
        m.put("images_per_second", last == null ? null : last.imagesPerSecond());
        m.put("device", device);
        m.put("backend_description", backendDescription);
        m.put("checkpoint", lastCheckpoint == null ? null : lastCheckpoint.getFileName().toString());
        return m;
    }

    /** Writes map as pretty JSON to file, atomically ({@link RunDirectory#write}). */
    public static void write(Path file, Map<String, Object> map) {
        try {
            String json = JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(map);
            RunDirectory.write(file, (json + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RunDirectoryException("Could not write " + file + ": " + e.getMessage()
                    + ". The checkpoint holds the same numbers; --resume writes it again.", e);
        }
    }

    /** Reads a summary.json back as a map. */
    public static Map<String, Object> read(Path file) throws IOException {
        return JSON.std.mapFrom(Files.readString(file, StandardCharsets.UTF_8));
    }
}
