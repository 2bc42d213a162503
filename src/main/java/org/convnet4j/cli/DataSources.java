package org.convnet4j.cli;

import java.nio.file.Path;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.DatasetSlice;
import org.convnet4j.data.MnistDataset;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.models.Models;
import org.convnet4j.tensor.Shape;

/**
 * The training and test sets the command line names. "mnist": the IDX files in the data directory (the
 * training set limited to its first limitTrain items when limitTrain &gt; 0). "synthetic": learnable
 * random images of the model's input shape ({@link SyntheticDataset}), limitTrain (default
 * {@value #SYNTHETIC_TRAIN}) training and {@value #SYNTHETIC_TEST} test items, all drawn from the run's
 * seed.
 */
record DataSources(Dataset train, Dataset test) {
    static final int SYNTHETIC_TRAIN = 6000;
    static final int SYNTHETIC_TEST = 1000;

    static boolean isKnown(String dataset) {
        return "mnist".equals(dataset) || "synthetic".equals(dataset);
    }

    /** Both sets; IllegalArgumentException when the model's input shape cannot take MNIST digits. */
    static DataSources load(String dataset, String model, Path dataDir, int limitTrain, long seed) {
        Shape input = Models.inputShape(model);
        if ("synthetic".equals(dataset)) {
            int n = limitTrain > 0 ? limitTrain : SYNTHETIC_TRAIN;
            SyntheticDataset all = SyntheticDataset.learnable(n + SYNTHETIC_TEST, input, 10, seed);
            return new DataSources(new DatasetSlice("synthetic-train", all, 0, n),
                    new DatasetSlice("synthetic-test", all, n, SYNTHETIC_TEST));
        }
        checkMnistFits(model, input);
        return new DataSources(MnistDataset.train(dataDir, limitTrain, input), MnistDataset.test(dataDir, input));
    }

    /** The test set alone (for eval). */
    static Dataset test(String dataset, String model, Path dataDir, int limitTrain, long seed) {
        if ("synthetic".equals(dataset)) {
            return load(dataset, model, dataDir, limitTrain, seed).test();
        }
        Shape input = Models.inputShape(model);
        checkMnistFits(model, input);
        return MnistDataset.test(dataDir, input);
    }

    private static void checkMnistFits(String model, Shape input) {
        if (input.dim(0) != 1 || input.dim(1) < 28 || input.dim(2) < 28) {
            throw new IllegalArgumentException("model " + model + " takes " + input + " inputs, MNIST digits are"
                    + " [1, 28, 28]: use --dataset synthetic with this model");
        }
    }
}
