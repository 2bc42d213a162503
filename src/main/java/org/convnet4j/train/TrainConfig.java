package org.convnet4j.train;

/**
 * The hyper-parameters of a training run.
 *
 * @param model       model name ({@code Models.names()})
 * @param dataset     "mnist" or "synthetic"
 * @param epochs      total epochs to reach (a resumed run continues up to this number)
 * @param batch       mini-batch size; training drops each epoch's last partial batch
 * @param lr          learning rate of the first epoch
 * @param lrDecay     per-epoch factor: epoch e (1-based) trains with lr * lrDecay^(e-1); 1 keeps lr constant
 * @param optimizer   optimizer name ({@code Optimizers.names()})
 * @param weightDecay L2 weight decay, &gt;= 0
 * @param seed        seeds initialization and the per-epoch shuffles
 * @param limitTrain  train on the first limitTrain items only (0: all)
 * @param dataParallel replicas of the network the batch is split over (1: one network; see
 *                    {@link Trainer#dataParallel}); 1 &lt;= dataParallel &lt;= batch
 */
public record TrainConfig(String model, String dataset, int epochs, int batch, float lr, float lrDecay, String optimizer,
                          float weightDecay, long seed, int limitTrain, int dataParallel) {
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
        if (!(lrDecay > 0 && lrDecay <= 1)) {
            throw new IllegalArgumentException("lr decay must lie in (0, 1], got " + lrDecay);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }
        if (limitTrain < 0) {
            throw new IllegalArgumentException("limit-train must be >= 0, got " + limitTrain);
        }
        if (dataParallel < 1 || dataParallel > batch) {
            throw new IllegalArgumentException("data-parallel must lie in 1 .. batch (" + batch + "): each replica"
                    + " takes at least one item of every batch; got " + dataParallel);
        }
    }

    /** A configuration of one network (dataParallel 1). */
    public TrainConfig(String model, String dataset, int epochs, int batch, float lr, float lrDecay, String optimizer,
                       float weightDecay, long seed, int limitTrain) {
        this(model, dataset, epochs, batch, lr, lrDecay, optimizer, weightDecay, seed, limitTrain, 1);
    }

    /** The learning rate of epoch (1-based): lr * lrDecay^(epoch-1), the same on every run and resume. */
    public float learningRate(int epoch) {
        return (float) (lr * Math.pow(lrDecay, epoch - 1));
    }

    /** This configuration with another epoch target. */
    public TrainConfig withEpochs(int newEpochs) {
        return new TrainConfig(model, dataset, newEpochs, batch, lr, lrDecay, optimizer, weightDecay, seed, limitTrain,
                dataParallel);
    }
}
