package org.convnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.train.CheckpointFiles;
import org.convnet4j.train.RunSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {
    @TempDir
    Path tmp;

    /** Exit status, standard output and standard error of one command. */
    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    private static void assertOneParagraphWithoutStackTrace(String err) {
        assertFalse(err.contains("\tat "), "no stack trace without --verbose: " + err);
        assertEquals(1, err.strip().lines().count(), "one paragraph: " + err);
    }

    private static boolean gpuPresent() {
        try (CudaBackend b = CudaBackend.open()) {
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Test
    void missingMnistSaysHowToFetchIt() {
        Path empty = tmp.resolve("no-mnist");
        Run r = run("train", "--device", "cpu", "--data-dir", empty.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("fetch-mnist"), r.err());
        assertTrue(r.err().contains("train-images-idx3-ubyte"), r.err());
        assertOneParagraphWithoutStackTrace(r.err());
    }

    @Test
    void deviceGpuWithoutAGpuIsAClearRuntimeError() {
        assumeFalse(gpuPresent(), "this machine has a usable GPU");
        Run r = run("train", "--device", "gpu", "--dataset", "synthetic", "--limit-train", "64",
                "--out", tmp.resolve("o").toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("--device gpu: no usable GPU"), r.err());
        assertTrue(r.err().contains("--device cpu"), "says what to do instead: " + r.err());
        assertOneParagraphWithoutStackTrace(r.err());
    }

    @Test
    void verbosePrintsTheStackTrace() {
        Run r = run("train", "--verbose", "--device", "cpu", "--data-dir", tmp.resolve("none").toString(),
                "--out", tmp.resolve("o").toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("\tat org.convnet4j."), r.err());
    }

    @Test
    void usageErrorsExitWith2() {
        Run unknownModel = run("train", "--model", "resnet50");
        assertEquals(2, unknownModel.status());
        assertTrue(unknownModel.err().contains("unknown --model 'resnet50'"), unknownModel.err());
        assertTrue(unknownModel.err().contains("lenet5"), "lists the known models: " + unknownModel.err());
        assertOneParagraphWithoutStackTrace(unknownModel.err());

        Run zeroBatch = run("train", "--batch", "0");
        assertEquals(2, zeroBatch.status());
        assertTrue(zeroBatch.err().contains("--batch must be >= 1, got 0"), zeroBatch.err());

        Run wordBatch = run("train", "--batch", "many");
        assertEquals(2, wordBatch.status());
        assertTrue(wordBatch.err().contains("--batch"), wordBatch.err());

        assertEquals(2, run("train", "--optimizer", "lion").status());
        assertEquals(2, run("train", "--lr", "-1").status());
        assertEquals(2, run("train", "--nonsense").status());
        assertEquals(2, run("eval").status(), "--checkpoint is required");
        assertEquals(2, run().status(), "a subcommand is needed");
        assertEquals(2, run("train", "--model", "alexnet", "--device", "cpu").status(),
                "AlexNet cannot take MNIST digits");
        Run caffenet = run("train", "--model", "CaffeNet", "--device", "cpu");
        assertEquals(2, caffenet.status(), "a known model, like alexnet, that cannot take MNIST digits");
        assertTrue(caffenet.err().contains("model caffenet takes [3, 227, 227] inputs")
                && caffenet.err().contains("use --dataset synthetic"), caffenet.err());
    }

    @Test
    void severalProcessesNeedRankWorldAndRendezvousTogether() {
        Run r = run("train", "--rank", "1", "--world", "2");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--rank, --world and --rendezvous go together"), r.err());
        r = run("train", "--rank", "2", "--world", "2", "--rendezvous", "h:29500");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--rank must lie in 0..1 for --world 2, got 2"), r.err());
        r = run("train", "--rank", "0", "--world", "2", "--rendezvous", "h");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--rendezvous must be HOST:PORT, got 'h'"), r.err());
    }

    @Test
    void infoExitsZeroAndNamesTheBackends() {
        Run r = run("info");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("java: 17") || r.out().contains("java: "), r.out());
        assertTrue(r.out().contains("cpu backend: cpu"), r.out());
        assertTrue(r.out().contains("cpu gemm: " + org.convnet4j.backend.cpu.CpuGemm.describeDefault()), r.out());
        assertTrue(r.out().contains("cuda: "), r.out());
        assertTrue(r.out().contains("nccl: library: libnccl.so.2: "), r.out());
        assertTrue(r.out().contains("nccl: binding: "), r.out());
        assertTrue(r.out().contains("nccl: GPUs: "), r.out());
    }

    @Test
    void convAlgoIsCheckedListedByInfoAndHarmlessOnTheCpu() {
        try {
            Run bad = run("bench", "--device", "cpu", "--conv-algo", "direct");
            assertEquals(2, bad.status(), bad.err());
            assertTrue(bad.err().contains("--conv-algo: no convolution algorithm 'direct'; known: auto, im2col"),
                    bad.err());
            Run train = run("train", "--dataset", "synthetic", "--limit-train", "64", "--batch", "32", "--epochs", "1",
                    "--device", "cpu", "--threads", "1", "--conv-algo", "IM2COL", "--out", tmp.resolve("r").toString());
            assertEquals(0, train.status(), train.err());
            assertEquals("im2col", System.getProperty(ConvAlgorithms.PROPERTY), "the flag sets the property");
            Run bench = run("bench", "--device", "cpu", "--threads", "1", "--iterations", "1", "--warmup", "0",
                    "--copy-mib", "0", "--batch", "2", "--conv-algo", "auto");
            assertEquals(0, bench.status(), bench.err());
            assertTrue(bench.out().contains("convolution algorithm: im2col (the cpu backend's only one)"), bench.out());
            Run info = run("info");
            assertTrue(info.out().contains("conv algorithms (--conv-algo, -Dconvnet4j.conv.algo; now auto):"),
                    info.out());
            assertTrue(info.out().contains("  im2col: im2col + one GEMM"), info.out());
        } finally {
            System.clearProperty(ConvAlgorithms.PROPERTY);
        }
    }

    @Test
    void trainEvalAndResumeOnSyntheticData() throws Exception {
        Path out = tmp.resolve("run");
        Run train = run("train", "--dataset", "synthetic", "--limit-train", "128", "--batch", "32", "--epochs", "1",
                "--device", "cpu", "--threads", "1", "--out", out.toString());
        assertEquals(0, train.status(), train.err());
        assertTrue(train.out().contains("epoch 1/1"), train.out());
        Map<String, Object> summary = RunSummary.read(out.resolve("summary.json"));
        assertEquals(1, ((Number) summary.get("epochs")).intValue());

        Path ckpt = CheckpointFiles.forEpoch(out, 1);
        Run eval = run("eval", "--checkpoint", ckpt.toString(), "--device", "cpu", "--threads", "1");
        assertEquals(0, eval.status(), eval.err());
        String expected = String.format(java.util.Locale.ROOT, "test accuracy %.4f",
                ((Number) summary.get("test_accuracy")).doubleValue());
        assertTrue(eval.out().contains(expected), "eval agrees with training's last evaluation: " + eval.out()
                + " vs " + summary);

        Run conflict = run("train", "--resume", out.toString(), "--epochs", "2", "--lr", "0.5");
        assertEquals(2, conflict.status(), conflict.err());
        assertTrue(conflict.err().contains("--lr 0.001 (not 0.5)"), conflict.err());

        Run again = run("train", "--dataset", "synthetic", "--limit-train", "128", "--out", out.toString());
        assertEquals(2, again.status(), again.err());
        assertTrue(again.err().contains("already holds a run"), again.err());

        Run nothingToDo = run("train", "--resume", out.toString(), "--epochs", "1");
        assertEquals(2, nothingToDo.status(), nothingToDo.err());

        Run resumed = run("train", "--resume", out.toString(), "--epochs", "2", "--device", "cpu", "--threads", "1");
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(Files.exists(CheckpointFiles.forEpoch(out, 2)));
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size(), "header + 2 epochs");

        Run complete = run("train", "--resume", out.toString());
        assertEquals(2, complete.status(), complete.err());
        assertTrue(complete.err().contains("has already completed 2 epoch(s), its run's target"), complete.err());
    }

    /** --data-on-device and --read-every reach the trainer, which says where the data are; bad values are usage errors. */
    @Test
    void dataOnDeviceAndReadEvery() {
        Run r = run(trainSynthetic(tmp.resolve("dev"), "--epochs", "1", "--data-on-device", "on", "--read-every", "2"));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("Data: synthetic-train held by the backend"), r.out());
        assertTrue(r.out().contains("read every 2 steps"), r.out());
        Run maybe = run("train", "--data-on-device", "maybe");
        assertEquals(2, maybe.status(), maybe.err());
        assertTrue(maybe.err().contains("--data-on-device: expected auto, on or off, got maybe"), maybe.err());
        Run zero = run("train", "--read-every", "0");
        assertEquals(2, zero.status(), zero.err());
        assertTrue(zero.err().contains("--read-every must be >= 1, got 0"), zero.err());
    }

    private static String[] trainSynthetic(Path out, String... more) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--dataset", "synthetic",
                "--limit-train", "96", "--batch", "32", "--device", "cpu", "--threads", "1", "--out", out.toString()));
        args.addAll(java.util.List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void aBareResumeTrainsToTheRunsOwnEpochTarget() throws Exception {
        Path out = tmp.resolve("run");
        assertEquals(0, run(trainSynthetic(out, "--epochs", "2")).status());
        java.util.List<String> rows = Files.readAllLines(out.resolve("metrics.csv"));

        // From the older checkpoint, without --epochs: the run's own target (2), not the default 10.
        Run resumed = run("train", "--resume", CheckpointFiles.forEpoch(out, 1).toString(), "--device", "cpu",
                "--threads", "1");
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("epoch 2/2"), resumed.out());
        assertFalse(Files.exists(CheckpointFiles.forEpoch(out, 3)));
        java.util.List<String> again = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(3, again.size(), "epoch 2 once, not twice: " + again);
        assertEquals(rows.get(2).split(",")[1], again.get(2).split(",")[1], "the same training loss");

        Run extended = run("train", "--resume", out.toString(), "--epochs", "3", "--device", "cpu", "--threads", "1");
        assertEquals(0, extended.status(), extended.err());
        assertTrue(extended.out().contains("epoch 3/3"), extended.out());
    }

    @Test
    void aCheckpointWrittenBeforeEpochTargetsWereRecordedResumesWithEpochs() throws Exception {
        Path out = tmp.resolve("old");
        assertEquals(0, run(trainSynthetic(out, "--epochs", "1")).status());
        Path ckpt = CheckpointFiles.forEpoch(out, 1);
        org.convnet4j.train.LegacyCheckpoints.withoutNewHeaderKeys(ckpt, ckpt);

        Run bare = run("train", "--resume", out.toString(), "--device", "cpu", "--threads", "1");
        assertEquals(2, bare.status(), bare.err());
        assertTrue(bare.err().contains("written before checkpoints recorded their run's --epochs; pass --epochs"),
                bare.err());
        Run withEpochs = run("train", "--resume", out.toString(), "--epochs", "2", "--device", "cpu", "--threads", "1");
        assertEquals(0, withEpochs.status(), withEpochs.err());
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size(), "header + 2 epochs");
    }

    @Test
    void resumingIntoTheDirectoryOfAnotherRunIsAUsageErrorAndChangesNothing() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        assertEquals(0, run(trainSynthetic(a, "--epochs", "1", "--seed", "1")).status());
        assertEquals(0, run(trainSynthetic(b, "--epochs", "1", "--seed", "2")).status());
        byte[] metrics = Files.readAllBytes(b.resolve("metrics.csv"));
        byte[] summary = Files.readAllBytes(b.resolve("summary.json"));
        byte[] ckpt = Files.readAllBytes(CheckpointFiles.forEpoch(b, 1));

        Run r = run("train", "--resume", a.toString(), "--out", b.toString(), "--epochs", "2", "--device", "cpu");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("holds another run") && r.err().contains("seed 2 (not 1)"), r.err());
        assertOneParagraphWithoutStackTrace(r.err());
        assertArrayEquals(metrics, Files.readAllBytes(b.resolve("metrics.csv")));
        assertArrayEquals(summary, Files.readAllBytes(b.resolve("summary.json")));
        assertArrayEquals(ckpt, Files.readAllBytes(CheckpointFiles.forEpoch(b, 1)));
        assertFalse(Files.exists(CheckpointFiles.forEpoch(b, 2)));
    }

    @Test
    void outOnARegularFileSaysItIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "not a run");
        Run r = run(trainSynthetic(file, "--epochs", "1"));
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--out " + file + " is a file"), r.err());
        assertFalse(r.err().contains("--resume") || r.err().contains("already holds"), r.err());
        assertEquals("not a run", Files.readString(file));
    }

    @Test
    void aCorruptCheckpointIsARuntimeError() throws Exception {
        Path bad = Files.write(tmp.resolve("bad.ckpt"), new byte[] {1, 2, 3});
        Run r = run("eval", "--checkpoint", bad.toString(), "--device", "cpu");
        assertEquals(1, r.status());
        assertTrue(r.err().contains(bad.toString()), r.err());
        assertOneParagraphWithoutStackTrace(r.err());
    }

    @Test
    void fetchFromADirectoryWithoutMnistFails() {
        Run r = run("fetch-mnist", "--from", tmp.toString(), "--data-dir", tmp.resolve("d").toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("train-images-idx3-ubyte"), r.err());
        assertFalse(Files.exists(tmp.resolve("d")));
    }
}
