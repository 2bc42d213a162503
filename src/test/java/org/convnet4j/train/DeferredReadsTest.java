package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's per-step losses and correct counts kept on the backend and read every few steps, and its
 * data held by the backend, on the CPU backend: the metrics keep the very bits the trainer gave when it read
 * after every step from the host (recorded below from that trainer, before the change), for every read
 * interval and both data placements; a non-finite loss is still found, at the next read, naming the step.
 */
class DeferredReadsTest {
    private static final SyntheticDataset ALL = new SyntheticDataset("synthetic", 300, Shape.of(1, 28, 28), 10, 7, 2f);
    /** 200 items in batches of 16: 12 steps per epoch, 8 items left over; 100 test items: a partial last batch. */
    private static final Dataset TRAIN = new DatasetSlice("train", ALL, 0, 200);
    private static final Dataset TEST = new DatasetSlice("test", ALL, 200, 100);
    private static final TrainConfig CONFIG = new TrainConfig("lenet5", "synthetic", 2, 16, 3e-3f, 0.7f, "adam", 1e-4f,
            42, 0);
    /**
     * (train loss, train accuracy, test accuracy) per epoch, as Double.toHexString, from the trainer that read
     * every step's loss and predictions from the host (main before deferred reads) with CONFIG.
     */
    private static final List<String> PER_STEP_READS = List.of(
            "0x1.c71833cp1 0x1.1aaaaaaaaaaabp-2 0x1.0p-1",
            "0x1.1dfac7aaaaaabp0 0x1.a2aaaaaaaaaabp-1 0x1.c7ae147ae147bp-1");

    @TempDir
    Path tmp;

    private Trainer.Result train(Path dir, TrainConfig config, DataPlacement placement, int readEvery,
                                 StringWriter log) {
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(log, true), 0)) {
            return new Trainer(backend, config, TRAIN, TEST, dir, progress).dataOnDevice(placement)
                    .readEvery(readEvery).run(null);
        }
    }

    private static List<String> bits(Trainer.Result r) {
        return r.history().stream().map(m -> Double.toHexString(m.trainLoss()) + " "
                + Double.toHexString(m.trainAccuracy()) + " " + Double.toHexString(m.testAccuracy())).toList();
    }

    @Test
    void everyReadIntervalAndPlacementGivesTheMetricsOfPerStepReads() {
        for (DataPlacement placement : List.of(DataPlacement.OFF, DataPlacement.ON)) {
            for (int every : new int[] {1, 5, 12, 50}) {
                Path dir = tmp.resolve(placement + "-" + every);
                StringWriter log = new StringWriter();
                assertEquals(PER_STEP_READS, bits(train(dir, CONFIG, placement, every, log)),
                        placement + ", read every " + every);
                assertTrue(log.toString().contains("read every " + every + " steps"), log.toString());
                assertTrue(log.toString().contains(placement == DataPlacement.ON
                        ? "Data: train held by the backend" : "Data: train from the host, batch by batch"),
                        log.toString());
            }
        }
        Checkpoint host = Checkpoint.read(CheckpointFiles.forEpoch(tmp.resolve("OFF-1"), 2));
        Checkpoint device = Checkpoint.read(CheckpointFiles.forEpoch(tmp.resolve("ON-5"), 2));
        for (String name : host.parameters().keySet()) {
            assertArrayEquals(host.parameters().get(name).values(), device.parameters().get(name).values(), name);
        }
    }

    @Test
    void autoReadsFromTheHostOnTheCpuBackend() {
        StringWriter log = new StringWriter();
        train(tmp.resolve("auto"), CONFIG.withEpochs(1), DataPlacement.AUTO, 50, log);
        assertTrue(log.toString().contains("(host: train: the cpu backend's tensors are host memory already"),
                log.toString());
    }

    /**
     * SGD at lr 1e6 (after a sane first epoch) gives a NaN loss within a few steps: with reads every 5 steps it
     * is found at the next read, which the message names beside the step; the last good checkpoint stays, and
     * the huge loss before the NaN was warned about once.
     */
    @Test
    void aNonFiniteLossIsFoundAtTheNextRead() throws Exception {
        Path dir = tmp.resolve("diverging");
        TrainConfig sane = new TrainConfig("lenet5", "synthetic", 1, 16, 0.01f, 1f, "sgd", 0f, 42, 0);
        TrainConfig absurd = new TrainConfig("lenet5", "synthetic", 3, 16, 1e6f, 1f, "sgd", 0f, 42, 0);
        StringWriter log = new StringWriter();
        TrainingDivergedException e;
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(log, true), 0)) {
            new Trainer(backend, sane, TRAIN, TEST, dir, progress).dataOnDevice(DataPlacement.ON).readEvery(5).run(null);
            Trainer trainer = new Trainer(backend, absurd, TRAIN, TEST, dir, progress).dataOnDevice(DataPlacement.ON)
                    .readEvery(5);
            e = assertThrows(TrainingDivergedException.class, () -> trainer.run(CheckpointFiles.resolve(dir)));
        }
        assertEquals(2, e.epoch());
        int step = e.step();
        assertTrue(step >= 1 && step <= 12, "step " + step);
        int readAfter = Math.min(12, (step + 4) / 5 * 5 + 5); // the read started after it is looked at 5 steps later
        String found = step == readAfter ? "" : " (found at the read after step " + readAfter
                + ": losses are read every 5 steps, so steps " + step + " .. " + readAfter + " ran;";
        assertTrue(e.getMessage().contains("at epoch 2, step " + step + " of 12" + found), e.getMessage());
        assertTrue(e.getMessage().matches(".*The first layer whose output held a NaN or an infinity is"
                + " '(conv1|relu1|pool1|conv2|relu2|pool2|flatten|fc1|relu3|fc2|relu4|fc3)'.*"), e.getMessage());
        assertTrue(e.getMessage().contains(CheckpointFiles.forEpoch(dir, 1).toString()), e.getMessage());
        assertEquals(1, log.toString().lines().filter(l -> l.startsWith("warning: the loss rose")).count(),
                log.toString());
        assertFalse(Files.exists(CheckpointFiles.forEpoch(dir, 2)));
    }

    @Test
    void badSettingsAreRefused() {
        assertEquals(DataPlacement.ON, DataPlacement.parse(" On "));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> DataPlacement.parse("maybe"));
        assertTrue(bad.getMessage().contains("--data-on-device: expected auto, on or off, got maybe"), bad.getMessage());
        Dataset varies = new Dataset() { // an augmenting set: other items every epoch
            @Override
            public String name() {
                return "augmented";
            }

            @Override
            public int size() {
                return TRAIN.size();
            }

            @Override
            public Shape itemShape() {
                return TRAIN.itemShape();
            }

            @Override
            public int numClasses() {
                return TRAIN.numClasses();
            }

            @Override
            public int label(int index) {
                return TRAIN.label(index);
            }

            @Override
            public void copyBatch(int[] indices, int from, int count, float[] images, int[] labels) {
                TRAIN.copyBatch(indices, from, count, images, labels);
            }

            @Override
            public boolean variesPerEpoch() {
                return true;
            }
        };
        try (CpuBackend backend = new CpuBackend(1);
             PlainProgress progress = new PlainProgress(new PrintWriter(new StringWriter()), 0)) {
            Trainer t = new Trainer(backend, CONFIG, varies, TEST, tmp.resolve("on"), progress);
            assertThrows(IllegalArgumentException.class, () -> t.readEvery(0));
            IllegalArgumentException on = assertThrows(IllegalArgumentException.class,
                    () -> t.dataOnDevice(DataPlacement.ON).run(null));
            assertTrue(on.getMessage().contains("--data-on-device on: augmented gives other items every epoch"),
                    on.getMessage());
            assertFalse(Files.exists(tmp.resolve("on")), "the directory it made is removed");
        }
    }
}
