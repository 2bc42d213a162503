package org.convnet4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a checkpoint says about the run that wrote it (stored as a small JSON object).
 *
 * @param model          model name as {@code Models.create} knows it ("lenet5")
 * @param numClasses     classes of the model's output layer
 * @param epoch          epochs completed when it was written (1 after the first epoch)
 * @param optimizer      optimizer name as {@code Optimizers.create} knows it
 * @param lr             learning rate of the first epoch
 * @param lrDecay        per-epoch learning-rate factor
 * @param weightDecay    L2 weight decay
 * @param optimizerSteps optimizer steps taken so far (Adam's bias correction needs it)
 * @param seed           the run's seed (initialization and shuffles)
 * @param batch          mini-batch size
 * @param dataset        training data set ("mnist" or "synthetic")
 * @param limitTrain     training items used (0: all)
 * @param epochs         the run's epoch target (what a bare --resume trains to); 0 in checkpoints written
 *                       before it was recorded
 * @param runId          random id given to a run when it starts, kept by its resumes; null in checkpoints
 *                       written before it was recorded
 * @param history        the metrics of epochs 1..epoch, the one source metrics.csv, summary.json and
 *                       curves.png are written from; null in checkpoints written before it was recorded
 * @param data           what the training set recorded about itself ({@code Dataset.describe()}: an image
 *                       folder's class names in label order and its transforms); empty for MNIST and synthetic
 */
public record CheckpointHeader(String model, int numClasses, int epoch, String optimizer, float lr,
                               float lrDecay, float weightDecay, int optimizerSteps, long seed, int batch, String dataset,
                               int limitTrain, int epochs, String runId, List<EpochMetrics> history,
                               Map<String, Object> data) {

    public CheckpointHeader {
        history = history == null ? null : List.copyOf(history);
        data = data == null ? Map.of() : data;
    }

    /**
     * How the run of other differs from this one, as "seed 2 (not 1)" phrases (empty: the same run). Compared:
     * every hyper-parameter but the epoch target, the run ids where both have one, and the metrics of the
     * epochs both histories hold (timing columns aside).
     */
    public List<String> differencesFrom(CheckpointHeader other) {
        List<String> d = new ArrayList<>();
        differ(d, "model", other.model, model);
        differ(d, "classes", other.numClasses, numClasses);
        differ(d, "dataset", other.dataset, dataset);
        differ(d, "optimizer", other.optimizer, optimizer);
        differ(d, "lr", other.lr, lr);
        differ(d, "lr decay", other.lrDecay, lrDecay);
        differ(d, "weight decay", other.weightDecay, weightDecay);
        differ(d, "seed", other.seed, seed);
        differ(d, "batch", other.batch, batch);
        differ(d, "limit-train", other.limitTrain, limitTrain);
        if (runId != null && other.runId != null) {
            differ(d, "run id", other.runId, runId);
        }
        if (history != null && other.history != null) {
            for (int i = 0; i < Math.min(history.size(), other.history.size()); i++) {
                EpochMetrics a = history.get(i);
                EpochMetrics b = other.history.get(i);
                if (a.epoch() != b.epoch() || a.trainLoss() != b.trainLoss() || a.trainAccuracy() != b.trainAccuracy()
                        || a.testAccuracy() != b.testAccuracy()) {
                    d.add("another history (epoch " + b.epoch() + ": train loss " + b.trainLoss() + ", not "
                            + a.trainLoss() + ")");
                    break;
                }
            }
        }
        return d;
    }

    private static void differ(List<String> d, String what, Object theirs, Object ours) {
        if (!Objects.equals(theirs, ours)) {
            d.add(what + " " + theirs + " (not " + ours + ")");
        }
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("num_classes", numClasses);
        m.put("epoch", epoch);
        m.put("optimizer", optimizer);
        m.put("lr", Double.parseDouble(Float.toString(lr)));
        m.put("lr_decay", Double.parseDouble(Float.toString(lrDecay)));
        m.put("weight_decay", Double.parseDouble(Float.toString(weightDecay)));
        m.put("optimizer_steps", optimizerSteps);
        m.put("seed", seed);
        m.put("batch", batch);
        m.put("dataset", dataset);
        m.put("limit_train", limitTrain);
        m.put("epochs", epochs);
        m.put("run_id", runId);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (EpochMetrics e : history == null ? List.<EpochMetrics>of() : history) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", e.epoch());
            row.put("train_loss", e.trainLoss());
            row.put("train_accuracy", e.trainAccuracy());
            row.put("test_accuracy", e.testAccuracy());
            row.put("seconds", e.seconds());
            row.put("images_per_second", e.imagesPerSecond());
            rows.add(row);
        }
        m.put("history", history == null ? null : rows);
        if (!data.isEmpty()) {
            m.put("data", data);
        }
        return m;
    }

    /** Reads a header; the fields added after the first release (epochs, run_id, history) may be missing. */
    @SuppressWarnings("unchecked")
    static CheckpointHeader fromJson(Map<String, Object> m) {
        List<EpochMetrics> history = null;
        if (m.get("history") != null) {
            history = new ArrayList<>();
            for (Map<String, Object> row : (List<Map<String, Object>>) m.get("history")) {
                history.add(new EpochMetrics(number(row, "epoch").intValue(), number(row, "train_loss").doubleValue(),
                        number(row, "train_accuracy").doubleValue(), number(row, "test_accuracy").doubleValue(),
                        number(row, "seconds").doubleValue(), number(row, "images_per_second").doubleValue()));
            }
        }
        return new CheckpointHeader(
                (String) require(m, "model"),
                number(m, "num_classes").intValue(),
                number(m, "epoch").intValue(),
                (String) require(m, "optimizer"),
                number(m, "lr").floatValue(),
                ((Number) m.getOrDefault("lr_decay", 1.0)).floatValue(),
                number(m, "weight_decay").floatValue(),
                number(m, "optimizer_steps").intValue(),
                number(m, "seed").longValue(),
                number(m, "batch").intValue(),
                (String) m.getOrDefault("dataset", "mnist"),
                ((Number) m.getOrDefault("limit_train", 0)).intValue(),
                ((Number) m.getOrDefault("epochs", 0)).intValue(),
                (String) m.get("run_id"),
                history,
                (Map<String, Object>) m.getOrDefault("data", Map.of()));
    }

    private static Number number(Map<String, Object> m, String key) {
        return (Number) require(m, key);
    }

    private static Object require(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("header field \"" + key + "\" is missing");
        }
        return v;
    }
}
