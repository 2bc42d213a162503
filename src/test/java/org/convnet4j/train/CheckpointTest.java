package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.Sequential;
import org.convnet4j.nn.optim.Adam;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    private CpuBackend backend;
    private Sequential net;
    private Adam adam;
    private Path file;

    private static final List<EpochMetrics> HISTORY = List.of(
            new EpochMetrics(1, 0.4123456789012345, 0.87, 0.9312, 23.125, 2612.5),
            new EpochMetrics(2, 0.1, 0.97, 0.98, 22.0, 2700.0),
            new EpochMetrics(3, 1.0 / 3, 2.0 / 3, 0.991, 21.9, 1e4 / 3));
    private static final CheckpointHeader HEADER = new CheckpointHeader("lenet5", 10, 3, "adam", 1e-3f, 0.85f, 1e-4f,
            123, 42L, 64, "mnist", 0, 10, "run-a", HISTORY, Map.of());

    @BeforeEach
    void writeOne() {
        backend = new CpuBackend(1);
        net = lenet(10, 5);
        adam = new Adam(backend, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f);
        adam.allocateState(net.parameters());
        int k = 0;
        for (Tensor t : adam.state().values()) {
            backend.fill(t, 0.5f + k++);
        }
        file = dir.resolve("c.ckpt");
        Checkpoint.write(file, HEADER, net.parameters(), adam.state(), backend);
    }

    @AfterEach
    void close() {
        adam.close();
        net.close();
        backend.close();
    }

    private Sequential lenet(int classes, long seed) {
        Sequential s = (Sequential) Models.create("lenet5", classes);
        s.initialize(backend, Models.batchInputShape("lenet5", 2), seed);
        return s;
    }

    @Test
    void roundTripRestoresEveryTensorExactly() {
        Checkpoint c = Checkpoint.read(file);
        assertEquals(HEADER, c.header());
        try (Sequential other = lenet(10, 99);
             Adam otherAdam = new Adam(backend, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f)) {
            assertFalse(Arrays.equals(backend.toFloatArray(net.parameters().get(0).value()),
                    backend.toFloatArray(other.parameters().get(0).value())), "other seed, other weights");
            otherAdam.allocateState(other.parameters());
            c.restore(file, "lenet5", other.parameters(), otherAdam.state(), backend);
            List<Parameter> a = net.parameters();
            List<Parameter> b = other.parameters();
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(backend.toFloatArray(a.get(i).value()), backend.toFloatArray(b.get(i).value()),
                        a.get(i).name());
            }
            for (Map.Entry<String, Tensor> e : adam.state().entrySet()) {
                assertArrayEquals(backend.toFloatArray(e.getValue()),
                        backend.toFloatArray(otherAdam.state().get(e.getKey())), e.getKey());
            }
        }
        assertEquals(List.of(), listTemporaryFiles(), "no temporary file left behind");
    }

    private List<Path> listTemporaryFiles() {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    private void assertRejected(Path f, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(f));
        assertTrue(e.getMessage().contains(f.toString()), "names the file: " + e.getMessage());
        for (String fr : fragments) {
            assertTrue(e.getMessage().contains(fr), "'" + fr + "' in: " + e.getMessage());
        }
    }

    @Test
    void theHeaderCarriesTheEpochTargetRunIdAndExactHistory() {
        CheckpointHeader h = Checkpoint.readHeader(file);
        assertEquals(10, h.epochs());
        assertEquals("run-a", h.runId());
        assertEquals(HISTORY, h.history(), "every double back bit for bit");
    }

    @Test
    void aCheckpointWrittenBeforeTheNewHeaderKeysStillLoads() throws Exception {
        Path old = LegacyCheckpoints.withoutNewHeaderKeys(file, dir.resolve("old.ckpt"));
        Checkpoint c = Checkpoint.read(old);
        assertEquals(new CheckpointHeader("lenet5", 10, 3, "adam", 1e-3f, 0.85f, 1e-4f, 123, 42L, 64, "mnist", 0, 0,
                null, null, Map.of()), c.header(), "the new fields read as unknown: 0 and null");
        try (Sequential other = lenet(10, 99); Adam otherAdam = new Adam(backend, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f)) {
            otherAdam.allocateState(other.parameters());
            c.restore(old, "lenet5", other.parameters(), otherAdam.state(), backend);
            assertArrayEquals(backend.toFloatArray(net.parameters().get(0).value()),
                    backend.toFloatArray(other.parameters().get(0).value()));
        }
    }

    @Test
    void runsDifferInHyperParametersRunIdOrSharedHistory() {
        assertEquals(List.of(), HEADER.differencesFrom(HEADER));
        CheckpointHeader earlier = new CheckpointHeader("lenet5", 10, 2, "adam", 1e-3f, 0.85f, 1e-4f, 82, 42L, 64,
                "mnist", 0, 5, "run-a", HISTORY.subList(0, 2), Map.of());
        assertEquals(List.of(), HEADER.differencesFrom(earlier), "an earlier checkpoint of the same run");
        CheckpointHeader otherSeed = new CheckpointHeader("lenet5", 10, 3, "adam", 1e-3f, 0.85f, 1e-4f, 123, 7L, 64,
                "mnist", 0, 10, "run-b", HISTORY, Map.of());
        assertEquals(List.of("seed 7 (not 42)", "run id run-b (not run-a)"), HEADER.differencesFrom(otherSeed));
        CheckpointHeader legacy = new CheckpointHeader("lenet5", 10, 3, "adam", 1e-3f, 0.85f, 1e-4f, 123, 42L, 64,
                "mnist", 0, 0, null, null, Map.of());
        assertEquals(List.of(), HEADER.differencesFrom(legacy), "no id or history to compare: the settings decide");
        CheckpointHeader otherHistory = new CheckpointHeader("lenet5", 10, 3, "adam", 1e-3f, 0.85f, 1e-4f, 123, 42L,
                64, "mnist", 0, 10, "run-a", List.of(HISTORY.get(0), new EpochMetrics(2, 0.2, 0.97, 0.98, 22, 2700)), Map.of());
        assertEquals(List.of("another history (epoch 2: train loss 0.2, not 0.1)"),
                HEADER.differencesFrom(otherHistory));
    }

    @Test
    void truncatedFilesAreRejected() throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        for (int len : new int[] {0, 5, 19, 100, bytes.length / 2, bytes.length - 1}) {
            Path cut = Files.write(dir.resolve("cut" + len + ".ckpt"), Arrays.copyOf(bytes, len));
            assertRejected(cut, len < 20 ? "" : "truncated");
        }
    }

    @Test
    void aFlippedByteAnywhereIsRejected() throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        for (int pos : new int[] {30, 60, bytes.length / 3, bytes.length / 2, bytes.length - 10, bytes.length - 1}) {
            byte[] bad = bytes.clone();
            bad[pos] ^= 0x10;
            Path f = Files.write(dir.resolve("flip" + pos + ".ckpt"), bad);
            assertRejected(f, "corrupt");
        }
    }

    @Test
    void aForeignFileIsRejected() throws Exception {
        Path png = Files.write(dir.resolve("image.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0,
                0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8});
        assertRejected(png, "not a convnet4j checkpoint");
        byte[] bytes = Files.readAllBytes(file);
        bytes[11] = 9; // version 9
        assertRejected(Files.write(dir.resolve("v9.ckpt"), bytes), "version 9");
    }

    @Test
    void aCheckpointOfAnotherModelIsRejectedWithoutTouchingTheModel() {
        Checkpoint c = Checkpoint.read(file);
        try (Sequential five = lenet(5, 7)) {
            float[] before = backend.toFloatArray(five.parameters().get(0).value());
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> c.restoreParameters(file, "lenet5", five.parameters(), backend));
            assertTrue(e.getMessage().contains("fc3.W is [10, 84] in the file but [5, 84] in the model"), e.getMessage());
            assertArrayEquals(before, backend.toFloatArray(five.parameters().get(0).value()), "nothing copied");
        }
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> c.restoreParameters(file, "alexnet", net.parameters(), backend));
        assertTrue(e.getMessage().contains("written for model \"lenet5\", not \"alexnet\""), e.getMessage());
    }

    @Test
    void missingOptimizerStateIsNamed() {
        Checkpoint c = Checkpoint.read(file);
        try (Adam fresh = new Adam(backend, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f)) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> c.restore(file, "lenet5", net.parameters(), fresh.state(), backend));
            assertTrue(e.getMessage().contains("unexpected conv1.W.m"), e.getMessage());
        }
    }
}
