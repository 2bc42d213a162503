package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's data-parallel path through its API (the CLI's is DataParallelTrainCommandTest). */
class TrainerDataParallelTest {
    private static final SyntheticDataset ALL = new SyntheticDataset("synthetic", 160, Shape.of(1, 28, 28), 10, 7, 2f);
    private static final Dataset TRAIN = new DatasetSlice("train", ALL, 0, 96);
    private static final Dataset TEST = new DatasetSlice("test", ALL, 96, 64);

    @TempDir
    Path tmp;

    private static TrainConfig config(float lr, int replicas) {
        return new TrainConfig("lenet5", "synthetic", 2, 12, lr, 1f, "sgd", 0f, 5, 0, replicas);
    }

    /** Runs train on replicas CPU backends; returns metrics.csv without its timing columns. */
    private List<String> train(Path dir, TrainConfig config, DataPlacement placement, StringWriter log) throws Exception {
        List<Backend> backends = new ArrayList<>();
        try (PlainProgress progress = new PlainProgress(new PrintWriter(log, true), 0)) {
            for (int r = 0; r < config.dataParallel(); r++) {
                backends.add(new CpuBackend(1));
            }
            new Trainer(backends.get(0), config, TRAIN, TEST, dir, progress).dataOnDevice(placement)
                    .dataParallel(backends).run(null);
        } finally {
            backends.forEach(Backend::close);
        }
        return Files.readAllLines(dir.resolve(Trainer.METRICS)).stream()
                .map(line -> String.join(",", List.of(line.split(",")).subList(0, 4))).toList();
    }

    @Test
    void replicasGatheringFromTheSetTheirBackendHoldsTrainAsReplicasReadingTheHost() throws Exception {
        StringWriter held = new StringWriter();
        List<String> onDevice = train(tmp.resolve("on"), config(0.05f, 3), DataPlacement.ON, held);
        List<String> host = train(tmp.resolve("off"), config(0.05f, 3), DataPlacement.OFF, new StringWriter());
        assertEquals(host, onDevice);
        assertTrue(held.toString().contains("data parallel: 3 replicas (shards of [4, 4, 4] items)"), held.toString());
    }

    @Test
    void aDivergingDataParallelRunStopsNamingALayerOfReplicaZerosShard() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            var e = assertThrows(TrainingDivergedException.class,
                    () -> train(tmp.resolve("nan"), config(1e6f, 2), DataPlacement.OFF, new StringWriter()));
            assertTrue(e.getMessage().contains("Training diverged"), e.getMessage());
            assertTrue(e.getMessage().matches(".*The first layer whose output held a NaN or an infinity is '\\w+'.*"
                    + "|.*Every layer's output was finite.*"), e.getMessage());
        });
    }

    @Test
    void theBackendsMustBeOnePerReplicaLedByTheTrainers() {
        try (CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(1);
             PlainProgress progress = new PlainProgress(new PrintWriter(new StringWriter(), true), 0)) {
            Trainer trainer = new Trainer(a, config(0.05f, 2), TRAIN, TEST, tmp.resolve("x"), progress);
            var wrongFirst = assertThrows(IllegalArgumentException.class, () -> trainer.dataParallel(List.of(b, a)));
            assertTrue(wrongFirst.getMessage().contains("the first the trainer's own"), wrongFirst.getMessage());
            assertThrows(IllegalArgumentException.class, () -> trainer.dataParallel(List.of(a)));
            var none = assertThrows(IllegalStateException.class, () -> trainer.run(null));
            assertTrue(none.getMessage().contains("call dataParallel(backends) first"), none.getMessage());
        }
    }

    @Test
    void aConfigRefusesMoreReplicasThanItems() {
        var e = assertThrows(IllegalArgumentException.class, () -> config(0.05f, 13));
        assertTrue(e.getMessage().contains("data-parallel must lie in 1 .. batch (12)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config(0.05f, 0));
    }
}
