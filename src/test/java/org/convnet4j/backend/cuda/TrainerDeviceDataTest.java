package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.convnet4j.train.CudaGraphMode;
import org.convnet4j.train.EpochMetrics;
import org.convnet4j.train.PlainProgress;
import org.convnet4j.train.TrainConfig;
import org.convnet4j.train.Trainer;
import org.convnet4j.train.TrainingProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer with its data on the device, on host fakes: both sets are uploaded once and each batch is
 * gathered on the backend's stream; every step's loss and correct count are tallied there, eagerly after
 * the replayed graph; inside an epoch's steps nothing downloads or synchronizes (but the capture's one
 * synchronization), and the tally is read without waiting once every --read-every steps.
 */
class TrainerDeviceDataTest {
    private static final SyntheticDataset ALL = new SyntheticDataset("synthetic", 192, Shape.of(1, 28, 28), 10, 7, 2f);
    private static final Dataset TRAIN = new DatasetSlice("train", ALL, 0, 128);
    private static final Dataset TEST = new DatasetSlice("test", ALL, 128, 64);
    /** 8 steps of 16 per epoch, 4 test batches. */
    private static final TrainConfig CONFIG = new TrainConfig("lenet5", "synthetic", 2, 16, 3e-3f, 0.7f, "adam", 1e-4f,
            42, 0);

    @TempDir
    Path tmp;

    /** The fake device's counters when something happened. */
    private record Snapshot(String event, int downloads, int laterDownloads, int synchronizations) {
    }

    @Test
    void stepsGatherAndTallyOnTheStreamAndReadWithoutWaiting() {
        HostFakes.Rig rig = HostFakes.Rig.create();
        HostFakes.Device device = rig.device();
        List<Snapshot> events = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        TrainingProgress progress = new TrainingProgress() {
            private void note(String event) {
                events.add(new Snapshot(event, device.downloads, device.laterDownloads, device.synchronizations));
            }

            @Override
            public void epochStarted(int epoch, int epochs, int steps) {
                note("start " + epoch);
            }

            @Override
            public void stepDone(int step, double meanLoss, double imagesPerSecond) {
                note("step " + step);
            }

            @Override
            public void epochFinished(EpochMetrics metrics, int epochs) {
                note("end " + metrics.epoch());
            }

            @Override
            public void info(String line) {
                lines.add(line);
            }

            @Override
            public void close() {
            }
        };
        try (CudaBackend backend = rig.backend()) {
            new Trainer(backend, CONFIG, TRAIN, TEST, tmp.resolve("run"), progress).cudaGraph(CudaGraphMode.ON)
                    .readEvery(3).run(null);
        }
        String log = String.join("\n", lines);
        assertTrue(log.contains("Data: train held by the backend"), log);
        assertTrue(log.contains("test held by the backend"), log);
        assertTrue(log.contains("read every 3 steps"), log);

        // reads after steps 3, 6 and 8: the first looked at after step 6, the last waited for at the end
        List<String> names = events.stream().map(Snapshot::event).toList();
        assertEquals(List.of("start 1", "step 3", "step 8", "end 1", "start 2", "step 3", "step 8", "end 2"), names);
        for (int e = 0; e < 2; e++) {
            Snapshot start = events.get(4 * e);
            Snapshot last = events.get(4 * e + 2);
            assertEquals(start.downloads(), last.downloads(), "no download that waits, epoch " + (e + 1));
            assertEquals(3, last.laterDownloads() - start.laterDownloads(), "three reads, epoch " + (e + 1));
            assertEquals(e == 0 ? 1 : 0, last.synchronizations() - start.synchronizations(),
                    "only the capture synchronizes, epoch " + (e + 1));
        }

        List<HostFakes.Launch> launches = rig.runner().launches;
        for (HostFakes.Launch l : launches) {
            assertSame(device.stream(), l.stream(), l.kernel() + " on " + l.stream());
        }
        List<HostFakes.Launch> gathers = launches.stream().filter(l -> l.kernel().equals("gather_rows_u32")).toList();
        List<HostFakes.Launch> tallies = launches.stream().filter(l -> l.kernel().equals("tally_batch_f32")).toList();
        assertEquals(2 * (2 * 8 + 2 * 4), gathers.size(), "images and labels of every step and test batch");
        assertEquals(2 * 8 + 2 * 4, tallies.size(), "one tally per step and test batch");
        assertFalse(gathers.stream().anyMatch(HostFakes.Launch::captured), "gathers run outside the graphs");
        assertFalse(tallies.stream().anyMatch(HostFakes.Launch::captured), "tallies run outside the graphs");
        assertEquals(2, device.captures, "the training step and the evaluation step");
    }

    /** With AUTO, a training set the device has no room for (51.4 MB on a 48 MiB device) comes from the host. */
    @Test
    void aSetTheDeviceHasNoRoomForIsReadFromTheHost() {
        HostFakes.Rig rig = HostFakes.Rig.create();
        rig.memory().limit = 48L << 20;
        SyntheticDataset big = new SyntheticDataset("big", 16384 + 64, Shape.of(1, 28, 28), 10, 7, 2f);
        Dataset train = new DatasetSlice("big-train", big, 0, 16384);
        Dataset test = new DatasetSlice("big-test", big, 16384, 64);
        TrainConfig config = new TrainConfig("lenet5", "synthetic", 1, 64, 3e-3f, 1f, "sgd", 0f, 42, 0);
        StringWriter out = new StringWriter();
        try (CudaBackend backend = rig.backend();
             PlainProgress progress = new PlainProgress(new PrintWriter(out, true), 0)) {
            new Trainer(backend, config, train, test, tmp.resolve("big"), progress).run(null);
        }
        String log = out.toString();
        assertTrue(log.contains("Data: big-train from the host, batch by batch; big-test held by the backend"), log);
        assertTrue(log.contains("(host: big-train: it did not fit on the device ("), log);
    }
}
