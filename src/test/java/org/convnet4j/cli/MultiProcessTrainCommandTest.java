package org.convnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.convnet4j.train.Checkpoint;
import org.convnet4j.train.CheckpointFiles;
import org.convnet4j.train.HostTensor;
import org.convnet4j.train.Trainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `train --rank R --world 2 --rendezvous 127.0.0.1:PORT` as two separate JVMs on loopback (CPU backends,
 * {@link org.convnet4j.distributed.TcpAllReduce}), the way two machines would run it, against one process with
 * `--data-parallel 2`: the same global ranks, shards and summation order, so metrics.csv's loss and accuracy
 * columns and the final checkpoint's parameters and optimizer state must be the same bits.
 */
class MultiProcessTrainCommandTest {
    @TempDir
    Path tmp;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static List<String> args(int batch, int epochs, Path out) {
        return new ArrayList<>(List.of("train", "--device", "cpu", "--threads", "1", "--dataset", "synthetic",
                "--limit-train", "192", "--batch", "" + batch, "--epochs", "" + epochs, "--optimizer", "adam", "--lr",
                "0.003", "--read-every", "5", "--out", out.toString()));
    }

    /** Starts `train` with args, then --rank rank --world 2 --rendezvous 127.0.0.1:port, in its own JVM. */
    private Process rank(List<String> args, int rank, int port) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                TrainProcess.class.getName()));
        command.addAll(args);
        command.addAll(List.of("--rank", "" + rank, "--world", "2", "--rendezvous", "127.0.0.1:" + port));
        Process p = new ProcessBuilder(command).redirectOutput(tmp.resolve("out-" + rank + ".txt").toFile())
                .redirectError(tmp.resolve("err-" + rank + ".txt").toFile()).start();
        started.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        Path f = tmp.resolve(name);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    /** metrics.csv's lines, cut to epoch, train loss, train accuracy and test accuracy (no timings). */
    private static List<String> metrics(Path runDir) throws IOException {
        return Files.readAllLines(runDir.resolve(Trainer.METRICS)).stream()
                .map(line -> String.join(",", Arrays.asList(line.split(",")).subList(0, 4))).toList();
    }

    private static void assertSameTensors(Map<String, HostTensor> expected, Map<String, HostTensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertEquals(expected.get(name).shape(), actual.get(name).shape(), name);
            assertArrayEquals(expected.get(name).values(), actual.get(name).values(), name); // bits: no delta
        }
    }

    private void twoProcessesAreTwoReplicas(int batch, int epochs) throws Exception {
        List<String> single = args(batch, epochs, tmp.resolve("one"));
        single.addAll(List.of("--data-parallel", "2"));
        MainTest.Run one = MainTest.run(single.toArray(String[]::new));
        assertEquals(0, one.status(), one.err());
        twoRanks(args(batch, epochs, tmp.resolve("rank0")), args(batch, epochs, tmp.resolve("rank1")));
        assertTrue(log("out-0.txt").contains("all-reduce TCP through rank 0 (rank 0 of 2"), log("out-0.txt"));
        assertTrue(log("out-1.txt").contains("rank 1 trained to epoch " + epochs), log("out-1.txt"));
        assertFalse(Files.exists(tmp.resolve("rank1")), "rank 1 writes no run directory");

        assertEquals(metrics(tmp.resolve("one")), metrics(tmp.resolve("rank0")));
        Checkpoint a = Checkpoint.read(CheckpointFiles.forEpoch(tmp.resolve("one"), epochs));
        Checkpoint b = Checkpoint.read(CheckpointFiles.forEpoch(tmp.resolve("rank0"), epochs));
        assertSameTensors(a.parameters(), b.parameters());
        assertSameTensors(a.optimizerState(), b.optimizerState());
        assertEquals(a.header().optimizerSteps(), b.header().optimizerSteps());
    }

    @Test
    void twoProcessesAreTwoReplicasInOneBitForBit() throws Exception {
        twoProcessesAreTwoReplicas(16, 1);
    }

    /** A batch of 15: shards of 8 (rank 0) and 7 (rank 1). */
    @Test
    void unevenShardsToo() throws Exception {
        twoProcessesAreTwoReplicas(15, 2);
    }

    /** Runs two ranks with args (and --out rank0 / rank1) to completion; returns rank 0's run directory. */
    private Path twoRanks(List<String> args0, List<String> args1) throws Exception {
        int port = freePort();
        Process rank1 = rank(args1, 1, port);
        Process rank0 = rank(args0, 0, port);
        assertTrue(rank0.waitFor(180, TimeUnit.SECONDS), "rank 0 did not finish: " + log("err-0.txt"));
        assertTrue(rank1.waitFor(60, TimeUnit.SECONDS), "rank 1 did not finish: " + log("err-1.txt"));
        assertEquals(0, rank0.exitValue(), log("out-0.txt") + log("err-0.txt"));
        assertEquals(0, rank1.exitValue(), log("out-1.txt") + log("err-1.txt"));
        return tmp.resolve("rank0");
    }

    /**
     * Two processes stopped after epoch 1 and resumed to epoch 2 (every rank given the checkpoint) against one
     * uninterrupted process with two replicas.
     */
    @Test
    void aResumedRunOverTwoProcessesContinuesAsOne() throws Exception {
        List<String> single = args(16, 2, tmp.resolve("one"));
        single.addAll(List.of("--data-parallel", "2"));
        assertEquals(0, MainTest.run(single.toArray(String[]::new)).status());
        twoRanks(args(16, 1, tmp.resolve("rank0")), args(16, 1, tmp.resolve("rank1")));
        Path ckpt = CheckpointFiles.forEpoch(tmp.resolve("rank0"), 1);
        List<String> resume0 = args(16, 2, tmp.resolve("rank0"));
        List<String> resume1 = args(16, 2, tmp.resolve("rank1"));
        resume0.addAll(List.of("--resume", ckpt.toString()));
        resume1.addAll(List.of("--resume", ckpt.toString()));
        Path dir = twoRanks(resume0, resume1);
        assertEquals(metrics(tmp.resolve("one")), metrics(dir));
        Checkpoint a = Checkpoint.read(CheckpointFiles.forEpoch(tmp.resolve("one"), 2));
        Checkpoint b = Checkpoint.read(CheckpointFiles.forEpoch(dir, 2));
        assertSameTensors(a.parameters(), b.parameters());
        assertSameTensors(a.optimizerState(), b.optimizerState());
        assertFalse(Files.exists(tmp.resolve("rank1")), "rank 1 writes no run directory");
    }

    @Test
    void aRankThatDiesFailsTheOtherNamingIt() throws Exception {
        int port = freePort();
        Process rank0 = rank(args(16, 200, tmp.resolve("rank0")), 0, port);
        Process rank1 = rank(args(16, 200, tmp.resolve("rank1")), 1, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!log("out-1.txt").contains("Run directory") && System.nanoTime() < deadline && rank1.isAlive()) {
            Thread.sleep(50);
        }
        assertTrue(rank1.isAlive(), "rank 1 did not start training: " + log("out-1.txt") + log("err-1.txt"));
        rank1.destroyForcibly(); // as a machine that goes down: no goodbye
        assertTrue(rank0.waitFor(60, TimeUnit.SECONDS), "rank 0 hangs after rank 1 died: " + log("out-0.txt"));
        assertEquals(1, rank0.exitValue(), log("err-0.txt"));
        assertTrue(log("err-0.txt").contains("rank 0 of 2: rank 1 closed the connection (it failed or stopped; its log"
                + " says why)"), log("err-0.txt"));
    }

    /** One process of the test: runs the CLI with args and exits with its status. */
    public static final class TrainProcess {
        public static void main(String[] args) {
            System.exit(Main.commandLine().execute(args));
        }
    }
}
