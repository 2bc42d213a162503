package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
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
        return train(dir, config(epochs), resume, new StringWriter());
    }

    private Trainer.Result train(Path dir, TrainConfig config, Path resume, StringWriter log) {
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(log, true), 0)) {
            return new Trainer(backend, config, train, test, dir, progress).run(resume);
        }
    }

    /** metrics.csv's rows without the timing columns (seconds, images per second). */
    private static List<String> rowsWithoutTiming(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve(Trainer.METRICS)).stream()
                .map(line -> String.join(",", Arrays.asList(line.split(",")).subList(0, 4))).toList();
    }

    /** Every file of dir (recursively) with the SHA-256 of its bytes, to show that nothing changed. */
    private static Map<Path, String> snapshot(Path dir) throws Exception {
        Map<Path, String> files = new TreeMap<>();
        try (var walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                    files.put(dir.relativize(p), java.util.HexFormat.of().formatHex(sha));
                }
            }
        }
        return files;
    }

    /** Something a test does to the run directory at an epoch's start or end. */
    interface EpochAction {
        void at(int epoch) throws IOException;
    }

    /** Progress that records its lines and runs a test's actions as epochs start and finish. */
    static final class Hooks implements TrainingProgress {
        final List<String> lines = new ArrayList<>();
        private final EpochAction onStart;
        private final EpochAction onFinish;

        Hooks(EpochAction onStart, EpochAction onFinish) {
            this.onStart = onStart;
            this.onFinish = onFinish;
        }

        private static void run(EpochAction action, int epoch) {
            try {
                action.at(epoch);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void epochStarted(int epoch, int epochs, int steps) {
            run(onStart, epoch);
        }

        @Override
        public void stepDone(int step, double meanLoss, double imagesPerSecond) {
        }

        @Override
        public void epochFinished(EpochMetrics m, int epochs) {
            run(onFinish, m.epoch());
        }

        @Override
        public void info(String line) {
            lines.add(line);
        }

        @Override
        public void close() {
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
        StringWriter log = new StringWriter();
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(log, true), 0)) {
            new Trainer(backend, sane, train, test, dir, progress).run(null);
            Trainer trainer = new Trainer(backend, absurd, train, test, dir, progress);
            e = org.junit.jupiter.api.Assertions.assertThrows(TrainingDivergedException.class,
                    () -> trainer.run(CheckpointFiles.resolve(dir)));
        }
        assertEquals(2, e.epoch());
        assertTrue(e.step() >= 1 && e.step() <= 8, "step " + e.step());
        assertTrue(e.getMessage().contains("at epoch 2, step " + e.step() + " of 8"), e.getMessage());
        assertTrue(e.getMessage().contains(CheckpointFiles.forEpoch(dir, 1).toString()), e.getMessage());
        // Which layer overflowed first depends on the weights; that the search names the right one is
        // SequentialTest's business. Here: it ran, and named a layer of LeNet-5.
        assertTrue(e.getMessage().matches(".*The first layer whose output held a NaN or an infinity is"
                + " '(conv1|relu1|pool1|conv2|relu2|pool2|flatten|fc1|relu3|fc2|relu4|fc3)'.*"), e.getMessage());
        // Before the NaN the loss was finite but huge: said once, with the lr.
        List<String> warnings = log.toString().lines().filter(l -> l.startsWith("warning: the loss rose")).toList();
        assertEquals(1, warnings.size(), log.toString());
        assertTrue(warnings.get(0).contains("(sgd, lr 1000000.0)"), warnings.get(0));
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
        assertEquals(2, rm.size(), "one row per epoch after the resume");
        for (int i = 0; i < 2; i++) {
            assertEquals(sm.get(i).trainLoss(), rm.get(i).trainLoss(), 0.0);
            assertEquals(sm.get(i).testAccuracy(), rm.get(i).testAccuracy(), 0.0);
        }
        assertTrue(Files.exists(CheckpointFiles.forEpoch(resumed, 1)), "earlier checkpoints are kept");
    }

    @Test
    void aCrashBetweenTheCheckpointAndTheFilesAfterItLosesNoRowAndDoublesNone() throws Exception {
        Path straight = tmp.resolve("straight");
        train(straight, 4, null);

        Path crashed = tmp.resolve("crashed");
        train(crashed, 2, null);
        byte[] metricsAfter2 = Files.readAllBytes(crashed.resolve(Trainer.METRICS));
        byte[] summaryAfter2 = Files.readAllBytes(crashed.resolve(Trainer.SUMMARY));
        train(crashed, 3, CheckpointFiles.resolve(crashed));
        // Killed right after checkpoint-epoch-003.ckpt was renamed into place: the files after it still say
        // epoch 2, and the temporary files of the writes in flight are left behind.
        Files.write(crashed.resolve(Trainer.METRICS), metricsAfter2);
        Files.write(crashed.resolve(Trainer.SUMMARY), summaryAfter2);
        Path[] stale = {crashed.resolve(".metrics.csv.0b5e7f7e-1c2d-4e5f-9a8b-7c6d5e4f3a2b.tmp"),
                crashed.resolve(".checkpoint-epoch-004.ckpt.4f3a2b1c-0d9e-4f8a-b7c6-d5e4f3a2b1c0.tmp"),
                crashed.resolve("summary.json.tmp")};
        for (Path p : stale) {
            Files.writeString(p, "half written");
        }
        Path notOurs = Files.writeString(crashed.resolve("notes.tmp"), "the user's");

        StringWriter log = new StringWriter();
        train(crashed, config(4), CheckpointFiles.resolve(crashed), log);

        assertEquals(rowsWithoutTiming(straight), rowsWithoutTiming(crashed), "one row per epoch, as uninterrupted");
        List<EpochMetrics> rows = new MetricsLog(crashed.resolve(Trainer.METRICS)).read(99);
        Map<String, Object> summary = RunSummary.read(crashed.resolve(Trainer.SUMMARY));
        assertEquals(4, ((Number) summary.get("epochs")).intValue());
        assertEquals(rows.stream().mapToDouble(EpochMetrics::testAccuracy).max().orElseThrow(),
                ((Number) summary.get("best_test_accuracy")).doubleValue(), 1e-6);
        for (Path p : stale) {
            assertFalse(Files.exists(p), p + " removed at start");
        }
        assertTrue(log.toString().contains("Removed 3 temporary file(s)"), log.toString());
        assertTrue(Files.exists(notOurs), "a file the run did not write is left alone");
    }

    @Test
    void aFullDiskAfterTheCheckpointStopsTheRunAndTheResumeWritesTheMissingRow() throws Exception {
        Path straight = tmp.resolve("straight");
        train(straight, 3, null);

        Path dir = tmp.resolve("full");
        Path metrics = dir.resolve(Trainer.METRICS);
        // During epoch 2 metrics.csv becomes impossible to replace (as on a full disk): a directory in its way.
        RunDirectoryException e;
        try (CpuBackend backend = new CpuBackend(2)) {
            TrainingProgress progress = new Hooks(epoch -> {
                if (epoch == 2) {
                    Files.delete(metrics);
                    Files.createDirectories(metrics.resolve("in-the-way"));
                }
            }, epoch -> { });
            Trainer t = new Trainer(backend, config(3), train, test, dir, progress);
            e = assertThrows(RunDirectoryException.class, () -> t.run(null));
        }
        assertTrue(e.getMessage().startsWith("Could not write " + metrics), e.getMessage());
        assertTrue(e.getMessage().contains("--resume writes them again"), e.getMessage());
        assertTrue(Files.exists(CheckpointFiles.forEpoch(dir, 2)), "the checkpoint was written first");

        Files.delete(metrics.resolve("in-the-way")); // room again
        Files.delete(metrics);
        train(dir, 3, CheckpointFiles.resolve(dir));
        assertEquals(rowsWithoutTiming(straight), rowsWithoutTiming(dir), "epoch 2's row is back, once");
    }

    @Test
    void resumingFromAnOlderCheckpointWritesEachLaterRowOnce() throws Exception {
        Path dir = tmp.resolve("older");
        train(dir, 3, null);
        List<String> rows = rowsWithoutTiming(dir);
        train(dir, 3, CheckpointFiles.forEpoch(dir, 1));
        assertEquals(rows, rowsWithoutTiming(dir), "epochs 2 and 3 again, not appended to the old ones");
        assertEquals(4, rows.size(), "header + 3 epochs");
    }

    @Test
    void theCheckpointCarriesTheEpochTargetAndTheHistoryMetricsCsvShows() throws Exception {
        Path dir = tmp.resolve("target");
        train(dir, 2, null);
        CheckpointHeader h = Checkpoint.readHeader(CheckpointFiles.forEpoch(dir, 2));
        assertEquals(2, h.epochs());
        assertEquals(new MetricsLog(dir.resolve(Trainer.METRICS)).read(99).size(), h.history().size());
        assertEquals(h.history().get(1).trainLoss(),
                new MetricsLog(dir.resolve(Trainer.METRICS)).read(99).get(1).trainLoss(), 1e-6);
        assertEquals(h.runId(), Checkpoint.readHeader(CheckpointFiles.forEpoch(dir, 1)).runId(), "one run, one id");
    }

    @Test
    void resumingIntoADirectoryOfAnotherRunIsRefusedAndChangesNothingThere() throws Exception {
        Path a = tmp.resolve("a");
        train(a, 1, null);
        Path ckptA = CheckpointFiles.forEpoch(a, 1);

        Path otherSeed = tmp.resolve("b");
        train(otherSeed, new TrainConfig("lenet5", "synthetic", 1, 32, 3e-3f, 0.7f, "adam", 1e-4f, 7, 0), null,
                new StringWriter());
        Map<Path, String> before = snapshot(otherSeed);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> train(otherSeed, 2, ckptA));
        assertTrue(e.getMessage().contains("seed 7 (not 42)"), e.getMessage());
        assertTrue(e.getMessage().contains(otherSeed.toString()) && e.getMessage().contains("mix"), e.getMessage());
        assertEquals(before, snapshot(otherSeed), "nothing in the other run's directory changed");

        Path sameSettings = tmp.resolve("c");
        train(sameSettings, 1, null);
        Map<Path, String> beforeC = snapshot(sameSettings);
        e = assertThrows(IllegalArgumentException.class, () -> train(sameSettings, 2, ckptA));
        assertTrue(e.getMessage().contains("run id"), "same settings, trained separately: " + e.getMessage());
        assertEquals(beforeC, snapshot(sameSettings));

        Path copy = tmp.resolve("copy");
        Files.createDirectories(copy);
        for (String f : new String[] {Trainer.METRICS, ckptA.getFileName().toString()}) {
            Files.copy(a.resolve(f), copy.resolve(f));
        }
        train(copy, 2, ckptA);
        assertEquals(3, Files.readAllLines(copy.resolve(Trainer.METRICS)).size(), "a copy of the run itself goes on");
    }

    @Test
    void aCheckpointWrittenBeforeHistoriesWereRecordedResumesWithTheRowsOfItsMetricsFile() throws Exception {
        Path dir = tmp.resolve("legacy");
        train(dir, 1, null);
        Path ckpt = CheckpointFiles.forEpoch(dir, 1);
        List<EpochMetrics> row1 = new MetricsLog(dir.resolve(Trainer.METRICS)).read(1);
        LegacyCheckpoints.withoutNewHeaderKeys(ckpt, ckpt);
        assertEquals(null, Checkpoint.readHeader(ckpt).history());

        train(dir, 2, ckpt);
        CheckpointHeader h = Checkpoint.readHeader(CheckpointFiles.forEpoch(dir, 2));
        assertEquals(2, h.history().size());
        assertEquals(row1.get(0).trainLoss(), h.history().get(0).trainLoss(), 1e-6, "epoch 1 from metrics.csv");
        assertTrue(h.runId() != null && h.epochs() == 2, "recorded from now on: " + h);
    }

    /** cpu behind a proxy that throws failure when asked for a tensor of more than maxElements. */
    private static Backend failingLargeAllocations(CpuBackend cpu, int maxElements, RuntimeException failure,
                                                   Error error) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("allocate") && ((Shape) args[0]).size() > maxElements) {
                        throw failure != null ? failure : error;
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private TrainingOutOfMemoryException outOfMemory(Path dir, Path resume, RuntimeException failure, Error error) {
        try (CpuBackend cpu = new CpuBackend(1);
             PlainProgress progress = new PlainProgress(new PrintWriter(new StringWriter()), 0)) {
            // LeNet-5's parameters are at most 48,000 floats; conv1's output at batch 32 is 150,528.
            Trainer t = new Trainer(failingLargeAllocations(cpu, 100_000, failure, error), config(2), train, test, dir,
                    progress);
            return assertThrows(TrainingOutOfMemoryException.class, () -> t.run(resume));
        }
    }

    @Test
    void aBatchTooLargeForTheHeapSaysSoInOneSentenceAndLeavesNoEmptyRunDirectory() {
        Path dir = tmp.resolve("heap");
        TrainingOutOfMemoryException e = outOfMemory(dir, null, null, new OutOfMemoryError("Java heap space"));
        String expectedHeap = String.format(java.util.Locale.ROOT, "%,d MiB", Runtime.getRuntime().maxMemory() >> 20);
        for (String part : new String[] {"lenet5 at batch 32", "Java heap (" + expectedHeap, "Java heap space",
                "--batch", "JAVA_OPTS=-Xmx"}) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
        assertFalse(Files.exists(dir), "the run directory it created is removed again");

        Path first = tmp.resolve("first");
        train(first, 1, null);
        Path into = tmp.resolve("resumed-into");
        outOfMemory(into, CheckpointFiles.forEpoch(first, 1), null, new OutOfMemoryError("Java heap space"));
        assertFalse(Files.exists(into), "a resume into a new directory leaves none behind either");
    }

    @Test
    void aBatchTooLargeForTheGpuSaysSoTheSameWay() {
        Path dir = tmp.resolve("device");
        TrainingOutOfMemoryException e = outOfMemory(dir, null, new DeviceOutOfMemoryException("device out of memory: asked"
                + " for 602112 bytes (size class 1048576), the pool has 0 bytes in use, the device has 0 bytes free"),
                null);
        assertTrue(e.getMessage().startsWith("lenet5 at batch 32 does not fit in memory: the GPU is out of memory"
                + " (device out of memory: asked for 602112 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("--batch") && !e.getMessage().contains("Xmx"), e.getMessage());
        assertFalse(Files.exists(dir));
    }

    @Test
    void aPictureThatCannotBeWrittenIsWarnedAboutWithItsCauseAndTriedAgain() throws Exception {
        Path dir = tmp.resolve("plots");
        Path blocker = Files.createDirectories(dir.resolve(Trainer.CURVES).resolve("in-the-way"));
        Hooks progress = new Hooks(epoch -> { }, epoch -> {
            if (epoch == 1) { // the disk has room again
                Files.delete(blocker);
                Files.delete(blocker.getParent());
            }
        });
        try (CpuBackend backend = new CpuBackend(2)) {
            new Trainer(backend, config(2), train, test, dir, progress).run(null);
        }
        List<String> warnings = progress.lines.stream().filter(l -> l.startsWith("warning:")).toList();
        assertEquals(1, warnings.size(), "one failure, one warning: " + progress.lines);
        assertTrue(warnings.get(0).startsWith("warning: curves.png not written (java.nio.file."), warnings.get(0));
        assertTrue(warnings.get(0).contains("trying again after the next epoch"), warnings.get(0));
        assertFalse(warnings.get(0).contains("cannot draw"), "an I/O error is not a font problem");
        assertTrue(ImageIO.read(dir.resolve(Trainer.CURVES).toFile()).getWidth() > 500, "written after epoch 2");
    }
}
