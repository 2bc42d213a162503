package org.convnet4j.cli;

import java.nio.file.Path;
import java.util.Map;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.ImageFolderSets;
import org.convnet4j.data.ImageTransform;
import org.convnet4j.data.MnistDataset;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.models.Models;
import org.convnet4j.tensor.Shape;

/**
 * The training and test sets the command line names. "mnist": the IDX files in the data directory (the
 * training set limited to its first limitTrain items when limitTrain &gt; 0). "synthetic": learnable
 * random images of the model's input shape ({@link SyntheticDataset}), limitTrain (default
 * {@value #SYNTHETIC_TRAIN}) training and {@value #SYNTHETIC_TEST} test items, all drawn from the run's
 * seed. "folder:DIR": the JPEG and PNG images of DIR, one subfolder per class ({@link ImageFolderSets});
 * close the sources to stop its decoding threads.
 *
 * @param train   the training set
 * @param test    the test set
 * @param folders the image-folder sets behind train and test, or null
 */
record DataSources(Dataset train, Dataset test, ImageFolderSets folders) implements AutoCloseable {
    static final int SYNTHETIC_TRAIN = 6000;
    static final int SYNTHETIC_TEST = 1000;
    static final String FOLDER = "folder:";

    /**
     * How to read an image folder: either from the command line (testDir or testSplit, transform), or, when
     * record is not empty, as a checkpoint recorded it.
     */
    record FolderOptions(Path testDir, double testSplit, ImageTransform transform, int threads,
                         Map<String, Object> record) {
    }

    static boolean isKnown(String dataset) {
        return "mnist".equals(dataset) || "synthetic".equals(dataset)
                || dataset.startsWith(FOLDER) && dataset.length() > FOLDER.length();
    }

    /** Both sets; IllegalArgumentException when the model's input shape cannot take MNIST digits. */
    static DataSources load(String dataset, String model, Path dataDir, int limitTrain, long seed,
                           FolderOptions folder) {
        return load(dataset, model, dataDir, limitTrain, seed, folder, true);
    }

    private static DataSources load(String dataset, String model, Path dataDir, int limitTrain, long seed,
                                    FolderOptions folder, boolean withTrain) {
        Shape input = Models.inputShape(model);
        if ("synthetic".equals(dataset)) {
            int n = limitTrain > 0 ? limitTrain : SYNTHETIC_TRAIN;
            SyntheticDataset all = SyntheticDataset.learnable(n + SYNTHETIC_TEST, input, 10, seed);
            return new DataSources(new DatasetSlice("synthetic-train", all, 0, n),
                    new DatasetSlice("synthetic-test", all, n, SYNTHETIC_TEST), null);
        }
        if (dataset.startsWith(FOLDER)) {
            if (limitTrain > 0) {
                throw new IllegalArgumentException("--limit-train is for mnist and synthetic; to train on fewer images,"
                        + " point --dataset folder: at a smaller folder");
            }
            Path root = Path.of(dataset.substring(FOLDER.length()));
            ImageFolderSets sets = folder.record().isEmpty()
                    ? ImageFolderSets.open(root, folder.testDir(), folder.testSplit(), folder.transform(), seed,
                    folder.threads(), withTrain)
                    : ImageFolderSets.fromRecord(root, folder.record(), seed, folder.threads(), withTrain);
            return new DataSources(sets.train(), sets.test(), sets);
        }
        checkMnistFits(model, input);
        return new DataSources(MnistDataset.train(dataDir, limitTrain, input), MnistDataset.test(dataDir, input), null);
    }

    /** The test set alone (for eval); record: what the checkpoint says of its training set. */
    static DataSources test(String dataset, String model, Path dataDir, int limitTrain, long seed,
                            Map<String, Object> record) {
        if ("synthetic".equals(dataset) || dataset.startsWith(FOLDER)) {
            return load(dataset, model, dataDir, limitTrain, seed, new FolderOptions(null, 0, null, 0, record), false);
        }
        Shape input = Models.inputShape(model);
        checkMnistFits(model, input);
        return new DataSources(null, MnistDataset.test(dataDir, input), null);
    }

    private static void checkMnistFits(String model, Shape input) {
        if (input.dim(0) != 1 || input.dim(1) < 28 || input.dim(2) < 28) {
            throw new IllegalArgumentException("model " + model + " takes " + input + " inputs, MNIST digits are"
                    + " [1, 28, 28]: use --dataset synthetic or --dataset folder:DIR with this model");
        }
    }

    @Override
    public void close() {
        if (folders != null) {
            folders.close();
        }
    }
}
