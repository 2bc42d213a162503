package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static final Shape MNIST_ITEM = Shape.of(1, 28, 28);
    private static Dataset train;
    private static Dataset test;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        // One generator for both: the test items are other draws of the same class templates.
        SyntheticDataset all = new SyntheticDataset("synthetic", 384, MNIST_ITEM, 10, 7, 2f);
        train = new DatasetSlice("train", all, 0, 256);
        test = new DatasetSlice("test", all, 256, 128);
    }

    private static TrainConfig config(int epochs) {
        return new TrainConfig("lenet5", "synthetic", epochs, 32, 3e-3f, 0.7f, "adam", 1e-4f, 42, 0);
    }

    private Trainer.Result train(Path dir, int epochs, Path resume) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(new java.io.OutputStreamWriter(log, StandardCharsets.UTF_8), true), 0)) {
            return new Trainer(backend, config(epochs), train, test, dir, progress).run(resume);
        }
    }

    @Test
    void smokeRunWritesMetricsSummaryPlotsAndCheckpoints() throws Exception {
        Path dir = tmp.resolve("run");
        Trainer.Result r = train(dir, 2, null);

        List<String> csv = Files.readAllLines(dir.resolve(Trainer.METRICS));
        assertEquals(MetricsLog.HEADER, csv.get(0));
        assertEquals(3, csv.size(), "header + one line per epoch: " + csv);
        List<EpochMetrics> rows = new MetricsLog(dir.resolve(Trainer.METRICS)).read(Integer.MAX_VALUE);
        assertEquals(2, rows.get(1).epoch());
        assertTrue(rows.get(1).trainLoss() < rows.get(0).trainLoss(), "loss should fall: " + rows);
        assertTrue(rows.get(1).testAccuracy() > 0.5, "synthetic classes are easy to learn: " + rows);
        assertTrue(rows.get(0).imagesPerSecond() > 0);

        Map<String, Object> summary = RunSummary.read(dir.resolve(Trainer.SUMMARY));
        assertEquals(2, ((Number) summary.get("epochs")).intValue());
        assertEquals(r.testAccuracy(), ((Number) summary.get("test_accuracy")).doubleValue(), 1e-12);
        assertEquals("cpu", summary.get("device"));
        assertTrue(((String) summary.get("backend_description")).startsWith("cpu"));
        assertEquals("lenet5", summary.get("model"));

        BufferedImage curves = ImageIO.read(dir.resolve(Trainer.CURVES).toFile());
        assertTrue(curves.getWidth() > 500 && curves.getHeight() > 300);
        BufferedImage filters = ImageIO.read(dir.resolve(Trainer.FILTERS).toFile());
        assertTrue(filters.getWidth() >= 32 && filters.getHeight() >= 32, "6 filters of 5x5 upscaled");

        Checkpoint c1 = Checkpoint.read(CheckpointFiles.forEpoch(dir, 1));
        Checkpoint c2 = Checkpoint.read(CheckpointFiles.forEpoch(dir, 2));
        assertEquals(1, c1.header().epoch());
        assertEquals(2, c2.header().epoch());
        assertEquals(16, c2.header().optimizerSteps(), "256 items / batch 32 = 8 steps per epoch");
        assertEquals(CheckpointFiles.forEpoch(dir, 2), CheckpointFiles.resolve(dir));
        assertTrue(c2.parameters().containsKey("conv1.W"));
        assertTrue(c2.optimizerState().containsKey("conv1.W.m"));
    }

    @Test
    void aNonFiniteLossStopsTrainingNamingEpochAndStepAndKeepsTheLastCheckpoint() throws Exception {
        Path dir = tmp.resolve("diverging");
        TrainConfig sane = new TrainConfig("lenet5", "synthetic", 1, 32, 0.01f, 1f, "sgd", 0f, 42, 0);
        // The same run continued with an absurd learning rate (the Trainer takes the config it is given;
        // the CLI would refuse the change): SGD at lr 1e6 gives a NaN loss within a few steps.
        TrainConfig absurd = new TrainConfig("lenet5", "synthetic", 3, 32, 1e6f, 1f, "sgd", 0f, 42, 0);
        TrainingDivergedException e;
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(java.io.OutputStream.nullOutputStream()), 0)) {
            new Trainer(backend, sane, train, test, dir, progress).run(null);
            Trainer trainer = new Trainer(backend, absurd, train, test, dir, progress);
            e = org.junit.jupiter.api.Assertions.assertThrows(TrainingDivergedException.class,
                    () -> trainer.run(CheckpointFiles.resolve(dir)));
        }
        assertEquals(2, e.epoch());
        assertTrue(e.step() >= 1 && e.step() <= 8, "step " + e.step());
        assertTrue(e.getMessage().contains("at epoch 2, step " + e.step() + " of 8"), e.getMessage());
        assertTrue(e.getMessage().contains(CheckpointFiles.forEpoch(dir, 1).toString()), e.getMessage());
        assertEquals(1, Checkpoint.read(CheckpointFiles.forEpoch(dir, 1)).header().epoch(), "last good one intact");
        assertTrue(!Files.exists(CheckpointFiles.forEpoch(dir, 2)));
        assertEquals(2, Files.readAllLines(dir.resolve(Trainer.METRICS)).size(), "header + epoch 1 only");
    }

    @Test
    void resumedRunIsBitIdenticalToAnUninterruptedOne() throws Exception {
        Path straight = tmp.resolve("straight");
        train(straight, 2, null);

        Path resumed = tmp.resolve("resumed");
        train(resumed, 1, null);
        train(resumed, 2, CheckpointFiles.resolve(resumed));

        Checkpoint a = Checkpoint.read(CheckpointFiles.forEpoch(straight, 2));
        Checkpoint b = Checkpoint.read(CheckpointFiles.forEpoch(resumed, 2));
        assertEquals(a.parameters().keySet(), b.parameters().keySet());
        for (String name : a.parameters().keySet()) {
            assertArrayEquals(a.parameters().get(name).values(), b.parameters().get(name).values(),
                    "parameter " + name + " differs after resume");
        }
        for (String name : a.optimizerState().keySet()) {
            assertArrayEquals(a.optimizerState().get(name).values(), b.optimizerState().get(name).values(),
                    "optimizer state " + name + " differs after resume");
        }
        assertEquals(a.header().optimizerSteps(), b.header().optimizerSteps());

        List<EpochMetrics> sm = new MetricsLog(straight.resolve(Trainer.METRICS)).read(9);
        List<EpochMetrics> rm = new MetricsLog(resumed.resolve(Trainer.METRICS)).read(9);
        assertEquals(2, rm.size(), "metrics.csv appended on resume, not truncated");
        for (int i = 0; i < 2; i++) {
            assertEquals(sm.get(i).trainLoss(), rm.get(i).trainLoss(), 0.0);
            assertEquals(sm.get(i).testAccuracy(), rm.get(i).testAccuracy(), 0.0);
        }
        assertTrue(Files.exists(CheckpointFiles.forEpoch(resumed, 1)), "earlier checkpoints are kept");
    }
}
