package org.convnet4j.train;

/**
 * One row of metrics.csv.
 *
 * @param epoch            1-based epoch number
 * @param trainLoss        mean mini-batch loss over the epoch
 * @param trainAccuracy    fraction of training items classified correctly during the epoch (with the
 *                         weights as they were at each step)
 * @param testAccuracy     fraction of test items classified correctly after the epoch
 * @param seconds          wall time of the epoch: training plus evaluation
 * @param imagesPerSecond  training images per second of training time (evaluation excluded)
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
                           double seconds, double imagesPerSecond) {
}
