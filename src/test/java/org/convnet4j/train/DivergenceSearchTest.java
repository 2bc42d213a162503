package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The divergence search replays the epoch up to the failed step, so it names the same first non-finite layer
 * whenever the loss is read: a run that reads every 5 steps (the NaN found up to 9 steps late, the weights
 * long NaN by then) gives the same step and the same layer as the same run reading after every step, in
 * epoch 1 of a new run (the network initialized again from the seed) and in epoch 2 (put back from the
 * epoch-1 checkpoint, which is kept).
 */
class DivergenceSearchTest {
    private static final SyntheticDataset ALL = new SyntheticDataset("synthetic", 300, Shape.of(1, 28, 28), 10, 7, 2f);
    /** 200 items in batches of 16: 12 steps per epoch. */
    private static final Dataset TRAIN = new DatasetSlice("train", ALL, 0, 200);
    private static final Dataset TEST = new DatasetSlice("test", ALL, 200, 100);
    private static final Pattern LAYER = Pattern.compile("The first layer whose output held a NaN or an infinity is"
            + " '([a-z0-9]+)' \\([A-Za-z0-9]+\\)");

    @TempDir
    Path tmp;

    private static TrainConfig config(int epochs, float lr) {
        return new TrainConfig("lenet5", "synthetic", epochs, 16, lr, 1f, "sgd", 0f, 42, 0);
    }

    /** The divergence of config in dir (resumed from its checkpoint when resume), reading every readEvery steps. */
    private static TrainingDivergedException diverge(Path dir, TrainConfig config, boolean resume, int readEvery) {
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(new StringWriter(), true), 0)) {
            Trainer trainer = new Trainer(backend, config, TRAIN, TEST, dir, progress).readEvery(readEvery);
            return assertThrows(TrainingDivergedException.class,
                    () -> trainer.run(resume ? CheckpointFiles.resolve(dir) : null));
        }
    }

    private static String layer(TrainingDivergedException e) {
        Matcher m = LAYER.matcher(e.getMessage());
        assertTrue(m.find(), e.getMessage());
        return m.group(1);
    }

    private static void assertSameSearch(TrainingDivergedException everyStep, TrainingDivergedException late,
                                         int epoch) {
        assertEquals(epoch, everyStep.epoch());
        assertEquals(epoch, late.epoch());
        assertEquals(everyStep.step(), late.step(), "deterministic training fails at the same step");
        int step = late.step();
        int readAfter = Math.min(12, (step + 4) / 5 * 5 + 5);
        assertTrue(late.getMessage().contains("at epoch " + epoch + ", step " + step + " of 12 (found at the read"
                + " after step " + readAfter + ": losses are read every 5 steps, so steps " + step + " .. "
                + readAfter + " ran)"), late.getMessage());
        assertEquals(layer(everyStep), layer(late));
        // Even a read after every step comes a step late, after the failed step's NaN update: a search through
        // those weights names conv1 whatever the step did (the items are finite). The replay names a later one.
        assertFalse(layer(late).equals("conv1"), late.getMessage());
        assertFalse(late.getMessage().contains("used the weights after"), late.getMessage());
    }

    @Test
    void epochOneIsReplayedFromTheSeed() {
        TrainConfig absurd = config(2, 3e3f);
        TrainingDivergedException everyStep = diverge(tmp.resolve("every-step"), absurd, false, 1);
        TrainingDivergedException late = diverge(tmp.resolve("late"), absurd, false, 5);
        assertSameSearch(everyStep, late, 1);
        assertTrue(late.getMessage().contains("No checkpoint had been written yet."), late.getMessage());
    }

    @Test
    void epochTwoIsReplayedFromTheCheckpoint() throws Exception {
        Path[] dirs = {tmp.resolve("every-step"), tmp.resolve("late")};
        TrainingDivergedException[] found = new TrainingDivergedException[2];
        for (int i = 0; i < 2; i++) {
            try (CpuBackend backend = new CpuBackend(2);
                 PlainProgress progress = new PlainProgress(new PrintWriter(new StringWriter(), true), 0)) {
                new Trainer(backend, config(1, 0.01f), TRAIN, TEST, dirs[i], progress).run(null);
            }
            found[i] = diverge(dirs[i], config(3, 3e3f), true, i == 0 ? 1 : 5);
        }
        assertSameSearch(found[0], found[1], 2);
        Path kept = CheckpointFiles.forEpoch(dirs[1], 1);
        assertTrue(found[1].getMessage().contains("The last good checkpoint, " + kept + ", is kept."),
                found[1].getMessage());
        assertEquals(1, Checkpoint.read(kept).header().epoch());
        assertFalse(Files.exists(CheckpointFiles.forEpoch(dirs[1], 2)));
    }

    /** A checkpoint gone by the time of the search: the divergence is still reported, saying why no layer is named. */
    @Test
    void aRewindThatFailsIsSaidInsteadOfALayer() throws Exception {
        Path dir = tmp.resolve("vanished");
        Path first = CheckpointFiles.forEpoch(dir, 1);
        TrainingDivergedException e;
        try (CpuBackend backend = new CpuBackend(2)) {
            new Trainer(backend, config(1, 0.01f), TRAIN, TEST, dir, new QuietProgress(null)).run(null);
            Trainer trainer = new Trainer(backend, config(3, 3e3f), TRAIN, TEST, dir, new QuietProgress(first))
                    .readEvery(5);
            e = assertThrows(TrainingDivergedException.class, () -> trainer.run(first));
        }
        assertEquals(2, e.epoch());
        assertTrue(e.getMessage().contains("No layer is named: putting the network back to the epoch's start to"
                + " replay it failed ("), e.getMessage());
        assertTrue(e.getMessage().contains(first.getFileName().toString()), e.getMessage());
        assertFalse(LAYER.matcher(e.getMessage()).find(), e.getMessage());
    }

    /** Prints nothing; deletes doomed (when not null) as the epoch after it starts. */
    private record QuietProgress(Path doomed) implements TrainingProgress {
        @Override
        public void epochStarted(int epoch, int epochs, int steps) {
            try {
                if (doomed != null) {
                    Files.delete(doomed);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void stepDone(int step, double meanLoss, double imagesPerSecond) {
        }

        @Override
        public void epochFinished(EpochMetrics metrics, int epochs) {
        }

        @Override
        public void info(String line) {
        }

        @Override
        public void close() {
        }
    }
}
