package org.convnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.convnet4j.train.CheckpointFiles;
import org.convnet4j.train.RunSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `convnet4j train` in a child JVM, for what only a real process shows: a kill -9 at a moment the test
 * does not choose, and a Java heap that really runs out.
 */
class TrainProcessTest {
    @TempDir
    Path tmp;

    private static List<String> synthetic(Path out, int epochs, int items) {
        return new ArrayList<>(List.of("train", "--dataset", "synthetic", "--limit-train", String.valueOf(items),
                "--batch", "32", "--epochs", String.valueOf(epochs), "--device", "cpu", "--threads", "1",
                "--out", out.toString()));
    }

    private static ProcessBuilder child(List<String> jvmOptions, List<String> args, Path log) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Djava.awt.headless=true");
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(Main.class.getName());
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(false).redirectOutput(log.toFile());
    }

    private static int inProcess(List<String> args, StringWriter err) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args.toArray(String[]::new));
    }

    private static List<String> rowsWithoutTiming(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("metrics.csv")).stream()
                .map(line -> String.join(",", Arrays.asList(line.split(",")).subList(0, 4))).toList();
    }

    @Test
    void killedRightAfterACheckpointTheResumedRunEqualsAnUninterruptedOne() throws Exception {
        Path dir = tmp.resolve("killed");
        Process p = child(List.of(), synthetic(dir, 4, 256), tmp.resolve("child.log"))
                .redirectError(tmp.resolve("child.err").toFile()).start();
        Path second = CheckpointFiles.forEpoch(dir, 2);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(second) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertTrue(Files.exists(second), "the child wrote its second checkpoint: "
                + Files.readString(tmp.resolve("child.err")));
        p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));

        StringWriter err = new StringWriter();
        assertEquals(0, inProcess(List.of("train", "--resume", dir.toString(), "--device", "cpu", "--threads", "1"),
                err), err.toString());
        Path straight = tmp.resolve("straight");
        assertEquals(0, inProcess(synthetic(straight, 4, 256), err), err.toString());

        assertEquals(rowsWithoutTiming(straight), rowsWithoutTiming(dir), "one row per epoch, the same numbers");
        Map<String, Object> summary = RunSummary.read(dir.resolve("summary.json"));
        assertEquals(RunSummary.read(straight.resolve("summary.json")).get("best_test_accuracy"),
                summary.get("best_test_accuracy"));
        assertEquals(4, ((Number) summary.get("epochs")).intValue());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".tmp")).toList(), "no temporary files");
        }
    }

    @Test
    void aBatchTooLargeForTheHeapIsOneLineNamingBatchAndHeapWithNoRunDirectoryLeft() throws Exception {
        Path dir = tmp.resolve("oom");
        List<String> args = synthetic(dir, 1, 2048);
        args.set(args.indexOf("--batch") + 1, "2048"); // conv1's output alone is 2048 x 6 x 28 x 28 floats: 38.5 MB
        Path err = tmp.resolve("oom.err");
        Process p = child(List.of("-Xmx64m"), args, tmp.resolve("oom.log")).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        String message = Files.readString(err);
        assertEquals(1, p.exitValue(), message);
        assertEquals(1, message.strip().lines().count(), "one line: " + message);
        for (String part : new String[] {"convnet4j train: lenet5 at batch 2048 does not fit in memory: the Java heap (",
                "MiB at most) is full", "--batch", "JAVA_OPTS=-Xmx"}) {
            assertTrue(message.contains(part), "'" + part + "' in: " + message);
        }
        assertFalse(Files.exists(dir), "no empty run directory left behind");
    }
}
