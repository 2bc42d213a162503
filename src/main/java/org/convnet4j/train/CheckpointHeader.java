package org.convnet4j.train;

import java.util.LinkedHashMap;
import java.util.Map;

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
 * @param data           what the training set recorded about itself ({@code Dataset.describe()}: an image
 *                       folder's class names in label order and its transforms); empty for MNIST and synthetic
 */
public record CheckpointHeader(String model, int numClasses, int epoch, String optimizer, float lr,
                               float lrDecay, float weightDecay, int optimizerSteps, long seed, int batch, String dataset,
                               int limitTrain, Map<String, Object> data) {

    /** A header with no data set description. */
    public CheckpointHeader(String model, int numClasses, int epoch, String optimizer, float lr, float lrDecay,
                            float weightDecay, int optimizerSteps, long seed, int batch, String dataset, int limitTrain) {
        this(model, numClasses, epoch, optimizer, lr, lrDecay, weightDecay, optimizerSteps, seed, batch, dataset,
                limitTrain, Map.of());
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
        if (!data.isEmpty()) {
            m.put("data", data);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static CheckpointHeader fromJson(Map<String, Object> m) {
        return new CheckpointHeader(
                (String) require(m, "model"),
                ((Number) require(m, "num_classes")).intValue(),
                ((Number) require(m, "epoch")).intValue(),
                (String) require(m, "optimizer"),
                ((Number) require(m, "lr")).floatValue(),
                ((Number) m.getOrDefault("lr_decay", 1.0)).floatValue(),
                ((Number) require(m, "weight_decay")).floatValue(),
                ((Number) require(m, "optimizer_steps")).intValue(),
                ((Number) require(m, "seed")).longValue(),
                ((Number) require(m, "batch")).intValue(),
                (String) m.getOrDefault("dataset", "mnist"),
                ((Number) m.getOrDefault("limit_train", 0)).intValue(),
                (Map<String, Object>) m.getOrDefault("data", Map.of()));
    }

    private static Object require(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("header field \"" + key + "\" is missing");
        }
        return v;
    }
}
