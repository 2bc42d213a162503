package org.convnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.models.Models;
import org.convnet4j.train.EpochMetrics;
import org.convnet4j.train.PlainProgress;
import org.convnet4j.train.RunSummary;
import org.convnet4j.train.TrainConfig;
import org.convnet4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MNIST-shaped IDX files written as a PNG folder ({@link MnistFolderWriter}) train LeNet-5 to exactly the
 * same losses and accuracies as the IDX files themselves, for the same seed. The items are sorted by
 * label in the IDX files, so that the folder's item order (class by class) is the IDX order and the same
 * epoch permutation visits the same images; with MNIST's real, interleaved order the two runs would see
 * the images in different orders and agree only statistically.
 */
class MnistFolderEquivalenceTest {
    private static final int TRAIN = 320;
    private static final int TEST = 100;

    @TempDir
    Path tmp;

    /** count 28x28 "digits": a per-class template of blobs plus noise, labels sorted 0..9. */
    private static byte[][] digits(int count, long seed) {
        SplittableRandom templates = new SplittableRandom(99);
        int[][] t = new int[10][784];
        for (int[] row : t) {
            for (int i = 0; i < 784; i++) {
                row[i] = templates.nextInt(4) == 0 ? 200 : 0;
            }
        }
        SplittableRandom rng = new SplittableRandom(seed);
        ByteBuffer images = ByteBuffer.allocate(16 + count * 784).putInt(IdxReader.IMAGES_MAGIC).putInt(count)
                .putInt(28).putInt(28);
        ByteBuffer labels = ByteBuffer.allocate(8 + count).putInt(IdxReader.LABELS_MAGIC).putInt(count);
        for (int i = 0; i < count; i++) {
            int label = i * 10 / count;
            labels.put((byte) label);
            for (int p = 0; p < 784; p++) {
                images.put((byte) Math.min(255, t[label][p] + rng.nextInt(56)));
            }
        }
        return new byte[][] {images.array(), labels.array()};
    }

    private static Trainer.Result train(Dataset train, Dataset test, Path dir) {
        TrainConfig config = new TrainConfig("lenet5", "x", 2, 32, 2e-3f, 0.8f, "adam", 0, 11, 0);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (CpuBackend backend = new CpuBackend(2);
             PlainProgress progress = new PlainProgress(new PrintWriter(new OutputStreamWriter(log, StandardCharsets.UTF_8), true), 0)) {
            return new Trainer(backend, config, train, test, dir, progress).run(null);
        }
    }

    @Test
    void leNetTrainsToTheSameLossesAndAccuraciesFromThePngFolderAsFromTheIdxFiles() throws Exception {
        Path idx = Files.createDirectories(tmp.resolve("idx"));
        byte[][] train = digits(TRAIN, 1);
        byte[][] test = digits(TEST, 2);
        IdxFiles.write(idx.resolve(MnistFiles.TRAIN_IMAGES.fileName()), train[0]);
        IdxFiles.write(idx.resolve(MnistFiles.TRAIN_LABELS.fileName()), train[1]);
        IdxFiles.write(idx.resolve(MnistFiles.TEST_IMAGES.fileName()), test[0]);
        IdxFiles.write(idx.resolve(MnistFiles.TEST_LABELS.fileName()), test[1]);
        Path folder = tmp.resolve("png");
        assertEquals(TRAIN + TEST, MnistFolderWriter.writeBoth(idx, folder));

        var input = Models.inputShape("lenet5");
        MnistDataset idxTrain = MnistDataset.train(idx, 0, input);
        MnistDataset idxTest = MnistDataset.test(idx, input);
        try (ImageFolderSets sets = ImageFolderSets.open(folder.resolve("train"), folder.resolve("test"), 0,
                ImageTransform.defaults(input), 11, 2, true)) {
            int[] all = java.util.stream.IntStream.range(0, TRAIN).toArray();
            float[] a = new float[TRAIN * 784];
            float[] b = new float[TRAIN * 784];
            int[] la = new int[TRAIN];
            int[] lb = new int[TRAIN];
            idxTrain.copyBatch(all, 0, TRAIN, a, la);
            sets.train().forEpoch(1, all, TRAIN).copyBatch(all, 0, TRAIN, b, lb);
            assertArrayEquals(la, lb, "labels");
            assertArrayEquals(a, b, 0f, "floats of every training item");

            List<EpochMetrics> fromIdx = train(idxTrain, idxTest, tmp.resolve("run-idx")).history();
            Trainer.Result r = train(sets.train(), sets.test(), tmp.resolve("run-folder"));
            List<EpochMetrics> fromFolder = r.history();
            assertEquals(2, fromFolder.size());
            for (int e = 0; e < 2; e++) {
                assertEquals(fromIdx.get(e).trainLoss(), fromFolder.get(e).trainLoss(), 0, "epoch " + (e + 1));
                assertEquals(fromIdx.get(e).trainAccuracy(), fromFolder.get(e).trainAccuracy(), 0);
                assertEquals(fromIdx.get(e).testAccuracy(), fromFolder.get(e).testAccuracy(), 0);
            }
            assertTrue(fromFolder.get(1).testAccuracy() > 0.5, "the classes are easy: " + fromFolder);

            @SuppressWarnings("unchecked")
            Map<String, Object> data = (Map<String, Object>) RunSummary.read(r.runDir().resolve(Trainer.SUMMARY)).get("data");
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), data.get("classes"));
            assertEquals(ImageTransform.defaults(input), ImageTransform.fromMap(castMap(data.get("transform"))));
            assertEquals(data, org.convnet4j.train.Checkpoint.read(r.lastCheckpoint()).header().data());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
