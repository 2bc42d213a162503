package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A graph network (ResNet-20: residual adds, projection shortcuts, batch normalization's running statistics
 * in the checkpoint) through the trainer: a run resumed from its epoch-1 checkpoint ends bit-identical to
 * an uninterrupted one.
 */
class GraphTrainingTest {
    @TempDir
    Path tmp;

    private final SyntheticDataset all = new SyntheticDataset("synthetic", 96, Shape.of(1, 28, 28), 10, 7, 2f);
    private final Dataset train = new DatasetSlice("train", all, 0, 64);
    private final Dataset test = new DatasetSlice("test", all, 64, 32);

    private void train(Path dir, int epochs, Path resume) {
        TrainConfig config = new TrainConfig("resnet20", "synthetic", epochs, 16, 3e-3f, 0.7f, "adam", 1e-4f, 42, 0);
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(java.io.OutputStream.nullOutputStream()), 0)) {
            new Trainer(backend, config, train, test, dir, progress).run(resume);
        }
    }

    @Test
    void aResumedResNetRunIsBitIdenticalToAnUninterruptedOne() {
        Path straight = tmp.resolve("straight");
        train(straight, 2, null);
        Path resumed = tmp.resolve("resumed");
        train(resumed, 1, null);
        train(resumed, 2, CheckpointFiles.resolve(resumed));

        Checkpoint a = Checkpoint.read(CheckpointFiles.forEpoch(straight, 2));
        Checkpoint b = Checkpoint.read(CheckpointFiles.forEpoch(resumed, 2));
        assertEquals(a.parameters().keySet(), b.parameters().keySet());
        assertTrue(a.parameters().containsKey("layer2.0.downsample.W"), "the projection shortcut is saved");
        assertTrue(a.parameters().containsKey("layer3.2.bn2.running_var"), "batch norm's running statistics too");
        for (String name : a.parameters().keySet()) {
            assertArrayEquals(a.parameters().get(name).values(), b.parameters().get(name).values(),
                    "parameter " + name + " differs after resume");
        }
        for (String name : a.optimizerState().keySet()) {
            assertArrayEquals(a.optimizerState().get(name).values(), b.optimizerState().get(name).values(),
                    "optimizer state " + name + " differs after resume");
        }
    }
}
