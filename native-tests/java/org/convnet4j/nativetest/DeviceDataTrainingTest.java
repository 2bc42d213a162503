package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.convnet4j.train.CudaGraphMode;
import org.convnet4j.train.DataPlacement;
import org.convnet4j.train.EpochMetrics;
import org.convnet4j.train.PlainProgress;
import org.convnet4j.train.TrainConfig;
import org.convnet4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LeNet-5 trained for 200 steps (batch 64, Adam) through the Trainer with its data held on the device,
 * each batch gathered there, the step replayed as a CUDA graph and the losses read every 50 steps, gives
 * the metrics of the host path (every batch uploaded, eager steps, reads after every step) bit for bit;
 * so does the device path with eager steps and reads every 7. Prints each run's training speed. On host
 * fakes nothing is computed (the metrics compared are zeros) but every launch is checked.
 */
@GpuTest
class DeviceDataTrainingTest {
    private static final SyntheticDataset ALL = new SyntheticDataset("synthetic", 12_800 + 1_000, Shape.of(1, 28, 28),
            10, 3, 1f);
    private static final Dataset TRAIN = new DatasetSlice("train", ALL, 0, 12_800);
    private static final Dataset TEST = new DatasetSlice("test", ALL, 12_800, 1_000);
    private static final TrainConfig CONFIG = new TrainConfig("lenet5", "synthetic", 1, 64, 1e-3f, 1f, "adam", 0f, 9, 0);

    @TempDir
    Path tmp;

    private List<EpochMetrics> train(DataPlacement placement, CudaGraphMode graph, int readEvery) {
        String name = placement + "-" + graph + "-" + readEvery;
        try (Backend backend = NativeBackends.openDevice();
             PlainProgress progress = new PlainProgress(new PrintWriter(OutputStream.nullOutputStream()), 0)) {
            List<EpochMetrics> h = new Trainer(backend, CONFIG, TRAIN, TEST, tmp.resolve(name), progress)
                    .dataOnDevice(placement).cudaGraph(graph).readEvery(readEvery).run(null).history();
            System.out.printf(Locale.ROOT, "device data %s: %.3f s for the epoch with evaluation, %.0f images/s%n",
                    name, h.get(0).seconds(), h.get(0).imagesPerSecond());
            return h;
        }
    }

    @Test
    void deviceResidentTrainingGivesTheHostPathsMetrics() {
        EpochMetrics host = train(DataPlacement.OFF, CudaGraphMode.OFF, 1).get(0);
        for (EpochMetrics device : List.of(train(DataPlacement.ON, CudaGraphMode.AUTO, 50).get(0),
                train(DataPlacement.ON, CudaGraphMode.OFF, 7).get(0))) {
            assertEquals(host.trainLoss(), device.trainLoss(), "mean training loss");
            assertEquals(host.trainAccuracy(), device.trainAccuracy(), "training accuracy");
            assertEquals(host.testAccuracy(), device.testAccuracy(), "test accuracy");
        }
        if (!NativeBackends.fakeDevice()) {
            assertTrue(host.testAccuracy() > 0.5, "200 steps learn the synthetic classes: " + host);
        }
    }
}
