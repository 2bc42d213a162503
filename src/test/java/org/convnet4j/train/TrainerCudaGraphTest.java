package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.FakeCudaBackend;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's --cuda-graph modes: off and auto give the same metrics on the CPU backend, on refuses a
 * backend other than CUDA; on the CUDA backend's host fakes a two-epoch run (the learning rate changing
 * between them, an evaluation after each) captures its training step and its evaluation step once each and
 * replays them for every later step.
 */
class TrainerCudaGraphTest {
    private static final SyntheticDataset ALL = new SyntheticDataset("synthetic", 192, Shape.of(1, 28, 28), 10, 7, 2f);
    private static final Dataset TRAIN = new DatasetSlice("train", ALL, 0, 128);
    private static final Dataset TEST = new DatasetSlice("test", ALL, 128, 64);
    private static final TrainConfig CONFIG = new TrainConfig("lenet5", "synthetic", 2, 32, 3e-3f, 0.7f, "adam", 1e-4f,
            42, 0);

    @TempDir
    Path tmp;

    private String train(Backend backend, CudaGraphMode mode, Path dir) {
        StringWriter log = new StringWriter();
        try (PlainProgress progress = new PlainProgress(new PrintWriter(log, true), 0)) {
            new Trainer(backend, CONFIG, TRAIN, TEST, dir, progress).cudaGraph(mode).run(null);
        }
        return log.toString();
    }

    private static List<String> rowsWithoutTiming(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve(Trainer.METRICS)).stream()
                .map(line -> String.join(",", Arrays.asList(line.split(",")).subList(0, 4))).toList();
    }

    @Test
    void autoOnTheCpuBackendTrainsAsOff() throws IOException {
        try (CpuBackend cpu = new CpuBackend(2)) {
            train(cpu, CudaGraphMode.OFF, tmp.resolve("off"));
        }
        try (CpuBackend cpu = new CpuBackend(2)) {
            train(cpu, CudaGraphMode.AUTO, tmp.resolve("auto"));
        }
        assertEquals(rowsWithoutTiming(tmp.resolve("off")), rowsWithoutTiming(tmp.resolve("auto")));
    }

    @Test
    void onNeedsTheCudaBackend() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> train(cpu, CudaGraphMode.ON, tmp.resolve("on")));
            assertTrue(e.getMessage().contains("--cuda-graph on needs the CUDA backend"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> CudaGraphMode.parse("sometimes"));
        assertEquals(CudaGraphMode.ON, CudaGraphMode.parse(" On "));
    }

    @Test
    void onTheCudaHostFakesTheStepIsCapturedOnceAndReplayed() throws IOException {
        try (Backend fake = FakeCudaBackend.open()) {
            String log = train(fake, CudaGraphMode.ON, tmp.resolve("graph"));
            assertTrue(log.contains("CUDA graph: the training step is captured"), log);
            assertTrue(log.contains("CUDA graph: the evaluation step is captured"), log);
            assertEquals(2, log.split("CUDA graph", -1).length - 1, "each announced once: " + log);
        }
        assertEquals(3, Files.readAllLines(tmp.resolve("graph").resolve(Trainer.METRICS)).size(),
                "a header and both epochs");
    }
}
