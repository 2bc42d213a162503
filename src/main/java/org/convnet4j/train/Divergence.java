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
     * steps, after searching the step for its first non-finite layer ({@link #locate}; rewind puts the
     * network and optimizer back to the epoch's start).
     */
    TrainingDivergedException diverged(float l, int epoch, int failed, int ran, Path lastCheckpoint, Trainer.Run run,
                                       Runnable rewind) {
        String where = locate(run, failed, ran, rewind);
        int step = failed + 1;
        String found = ran == step ? "" : " (found at the read after step " + ran + ": losses are read"
                + " every " + readEvery + " steps, so steps " + step + " .. " + ran + " ran"
                + (run.eager() == null ? "; the search below used replica 0's weights after step " + ran : "") + ")";
        return new TrainingDivergedException("Training diverged: the loss became " + l + " at epoch " + epoch
                + ", step " + step + " of " + steps + found + " (" + config.optimizer() + ", lr "
                + config.learningRate(epoch) + ", batch " + config.batch() + "). " + where + " "
                + (lastCheckpoint == null ? "No checkpoint had been written yet."
                : "The last good checkpoint, " + lastCheckpoint + ", is kept.") + " Train again with a lower --lr"
                + " (a resumed run keeps its checkpoint's lr, so it would diverge again).", epoch, step);
    }

    /**
     * Where step failed (0-based) of the epoch first held a non-finite value, as sentences for the divergence
     * message; ran steps had run when it was found. The weights have had ran - failed &gt;= 1 updates since
     * that step's forward (the first of them from its non-finite gradients, so they are likely non-finite
     * everywhere), so one network is put back to the epoch's start (rewind: from the last checkpoint, or
     * initialized from the seed in epoch 1 of a new run) and steps 0 .. failed - 1 of the epoch are replayed
     * eagerly, with the same batches in the same order: training is deterministic, so this reaches the very
     * weights step failed ran with, at the cost of up to one epoch's steps more, on this failure path only.
     * Then step failed's forward runs again with its batch and dropout masks, each layer's output looked at,
     * and the step itself, for its loss (finite this time: the replay did not reproduce the run, said
     * instead of a layer) and its backward's gradients. A rewind or replay that fails (the checkpoint gone,
     * no room on the GPU for the seed's copy of the network) is said instead of a layer. A data-parallel run
     * (run.eager() null) is not replayed: replica 0's shard of the step is searched through the weights as
     * they are after ran steps.
     */
    private String locate(Trainer.Run run, int failed, int ran, Runnable rewind) {
        TrainingStep eager = run.eager();
        if (eager != null) {
            try {
                rewind.run();
                for (int s = 0; s < failed; s++) {
                    run.batches().load(s * config.batch());
                    eager.run();
                }
            } catch (RuntimeException e) { // the divergence stays the news: a vanished checkpoint, a full GPU
                return "No layer is named: putting the network back to the epoch's start to replay it failed ("
                        + e.getMessage() + ").";
            }
        } else {
            TrainingStep.setDropoutCounters(run.net(), run.optimizer().steps() - (ran - failed));
        }
        run.batches().load(failed * config.batch()); // replica 0's shard of a data-parallel step
        String output = run.net().firstNonFiniteStep(run.batches().images(), true)
                .map(s -> "The first layer whose output held a NaN or an infinity is '" + s.name() + "' ("
                        + s.type() + ")")
                .orElse("Every layer's output was finite (the loss itself overflowed)");
        if (eager != null) {
            TrainingStep.setDropoutCounters(run.net(), run.optimizer().steps()); // the same masks again
            eager.run();
            float replayed = run.net().backend().toFloatArray(eager.loss())[0];
            if (Float.isFinite(replayed)) {
                return "Replayed from the epoch's start, step " + (failed + 1) + " gave the finite loss " + replayed
                        + " this time: the run did not repeat exactly (a non-deterministic kernel?), so no layer"
                        + " is named.";
            }
        }
        String gradient = run.net().firstNonFiniteGradient()
                .map(p -> "the last backward gave a non-finite gradient at " + p.name()
                        + " (counting from the last layer)")
                .orElse("the last backward's gradients were finite");
        return output + "; " + gradient + ".";
    }
}
