package org.convnet4j.train;

/** Where the trainer reports progress: a live progress bar on a terminal, plain lines elsewhere. */
public interface TrainingProgress extends AutoCloseable {

    /** An epoch of steps mini-batches begins. */
    void epochStarted(int epoch, int epochs, int steps);

    /** Step (1-based) of the current epoch is done; the running mean loss and training speed so far. */
    void stepDone(int step, double meanLoss, double imagesPerSecond);

    /** The epoch finished, evaluation included. */
    void epochFinished(EpochMetrics metrics, int epochs);

    /** A line for people (what was loaded, where files go). */
    void info(String line);

    /** Something went wrong that does not stop training (a picture not written, a loss rising fast). */
    default void warn(String line) {
        info("warning: " + line);
    }

    @Override
    void close();
}
