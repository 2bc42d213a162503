package org.convnet4j.train;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress as plain lines, for logs and CI (no terminal): a line at most every interval during an epoch,
 * and one line per finished epoch.
 */
public final class PlainProgress implements TrainingProgress {
    private final PrintWriter out;
    private final long intervalNanos;
    private int epoch;
    private int epochs;
    private int steps;
    private long lastLine;

    /** Lines to out, at most one per intervalSeconds during an epoch (0: none during an epoch). */
    public PlainProgress(PrintWriter out, double intervalSeconds) {
        this.out = out;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps) {
        this.epoch = epoch;
        this.epochs = epochs;
        this.steps = steps;
        this.lastLine = System.nanoTime();
    }

    @Override
    public void stepDone(int step, double meanLoss, double imagesPerSecond) {
        long now = System.nanoTime();
        if (intervalNanos > 0 && now - lastLine >= intervalNanos && step < steps) {
            lastLine = now;
            out.printf(Locale.ROOT, "epoch %d/%d  step %d/%d  loss %.4f  %.0f images/s%n", epoch, epochs, step, steps,
                    meanLoss, imagesPerSecond);
            out.flush();
        }
    }

    @Override
    public void epochFinished(EpochMetrics m, int epochs) {
        out.println(epochLine(m, epochs));
        out.flush();
    }

    /** The one-line summary of an epoch both reporters print. */
    static String epochLine(EpochMetrics m, int epochs) {
        return String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  train %.2f%%  test %.2f%%  %.1f s  %.0f images/s",
                m.epoch(), epochs, m.trainLoss(), 100 * m.trainAccuracy(), 100 * m.testAccuracy(), m.seconds(),
                m.imagesPerSecond());
    }

    @Override
    public void info(String line) {
        out.println(line);
        out.flush();
    }

    @Override
    public void close() {
        out.flush();
    }
}
