package org.convnet4j.train;

import org.convnet4j.data.Dataset;
import org.convnet4j.nn.Network;

/** Test-set accuracy: a forward pass in inference mode over every item, argmax on the device. */
public final class Evaluator {
    private Evaluator() {
    }

    /** The fraction of data's items that net classifies correctly (every item, the last batch padded). */
    public static double accuracy(Network net, Dataset data, BatchLoader loader) {
        int correct = 0;
        int b = loader.batch();
        for (int first = 0; first < data.size(); first += b) {
            int count = Math.min(b, data.size() - first);
            loader.loadRange(data, first, count);
            correct += loader.countCorrect(net.forward(loader.images(), false), count);
        }
        return correct / (double) data.size();
    }
}
