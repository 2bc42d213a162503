package org.convnet4j.train;

/**
 * The hyper-parameters of a training run.
 *
 * @param model       model name ({@code Models.names()})
 * @param dataset     "mnist" or "synthetic"
 * @param epochs      total epochs to reach (a resumed run continues up to this number)
 * @param batch       mini-batch size; training drops each epoch's last partial batch
 * @param lr          learning rate
 * @param optimizer   optimizer name ({@code Optimizers.names()})
 * @param weightDecay L2 weight decay, &gt;= 0
 * @param seed        seeds initialization and the per-epoch shuffles
 * @param limitTrain  train on the first limitTrain items only (0: all)
 */
public record TrainConfig(String model, String dataset, int epochs, int batch, float lr, String optimizer,
                          float weightDecay, long seed, int limitTrain) {
    public TrainConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("lr must be a positive number, got " + lr);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }
        if (limitTrain < 0) {
            throw new IllegalArgumentException("limit-train must be >= 0, got " + limitTrain);
        }
    }

    /** This configuration with another epoch target. */
    public TrainConfig withEpochs(int newEpochs) {
        return new TrainConfig(model, dataset, newEpochs, batch, lr, optimizer, weightDecay, seed, limitTrain);
    }
}
