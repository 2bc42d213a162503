package org.convnet4j.train;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Watches a run's per-step losses as they are read: a loss above {@link Trainer#LOSS_RISE} times the run's
 * first (its first step's, or on resume its first epoch's mean) is warned about once; a NaN or infinite one
 * becomes a {@link TrainingDivergedException} that names the epoch, the step, the read it was found at and
 * the first layer whose output went non-finite.
 */
final class Divergence {
    private final TrainConfig config;
    /** Training steps per epoch. */
    private final int steps;
    private final int readEvery;
    private final TrainingProgress progress;
    private double first;
    private boolean warned;

    /** first: the run's first loss, NaN for a new run (its first step's loss then takes the place). */
    Divergence(TrainConfig config, int steps, int readEvery, TrainingProgress progress, double first) {
        this.config = config;
        this.steps = steps;
        this.readEvery = readEvery;
        this.progress = progress;
        this.first = first;
    }

    /** The loss-rise warning for the finite loss l of epoch's step (1-based): once per run. */
    void checkRise(float l, int epoch, int step) {
        if (Double.isNaN(first)) {
            first = l;
        } else if (!warned && l > Trainer.LOSS_RISE * first) {
            warned = true;
            progress.warn(String.format(Locale.ROOT, "the loss rose to %.4g at epoch %d, step %d, over %.0f times"
                            + " its first value %.4g (%s, lr %s): training is likely diverging; a lower --lr may"
                            + " help", l, epoch, step, Trainer.LOSS_RISE, first, config.optimizer(),
                    config.learningRate(epoch)));
        }
    }

    /**
     * The exception for the non-finite loss l of step failed (0-based) of epoch, found at the read after ran
     * steps, after searching the step for its first non-finite layer ({@link #locate}).
     */
    TrainingDivergedException diverged(float l, int epoch, int failed, int ran, Path lastCheckpoint, Trainer.Run run) {
        String where = locate(run, failed, ran);
        int step = failed + 1;
        String found = ran == step ? "" : " (found at the read after step " + ran + ": losses are read"
                + " every " + readEvery + " steps, so steps " + step + " .. " + ran + " ran; the search below"
                + " used the weights after step " + ran + ")";
        return new TrainingDivergedException("Training diverged: the loss became " + l + " at epoch " + epoch
                + ", step " + step + " of " + steps + found + " (" + config.optimizer() + ", lr "
                + config.learningRate(epoch) + ", batch " + config.batch() + "). " + where + " "
                + (lastCheckpoint == null ? "No checkpoint had been written yet."
                : "The last good checkpoint, " + lastCheckpoint + ", is kept.") + " Train again with a lower --lr"
                + " (a resumed run keeps its checkpoint's lr, so it would diverge again).", epoch, step);
    }

    /**
     * Where step failed (0-based) of the epoch first held a non-finite value, as sentences for the divergence
     * message, found at the read after ran steps: its batch and dropout masks again, through the weights as
     * they are now (ran - failed updates later; the same ones when the read follows the failed step).
     */
    private String locate(Trainer.Run run, int failed, int ran) {
        TrainingStep.setDropoutCounters(run.net(), run.optimizer().steps() - (ran - failed));
        run.batches().load(failed * config.batch()); // replica 0's shard of a data-parallel step
        String output = run.net().firstNonFiniteStep(run.batches().images(), true)
                .map(s -> "The first layer whose output held a NaN or an infinity is '" + s.name() + "' ("
                        + s.type() + ")")
                .orElse("Every layer's output was finite (the loss itself overflowed)");
        String gradient = run.net().firstNonFiniteGradient()
                .map(p -> "the last backward gave a non-finite gradient at " + p.name()
                        + " (counting from the last layer)")
                .orElse("the last backward's gradients were finite");
        return output + "; " + gradient + ".";
    }
}
