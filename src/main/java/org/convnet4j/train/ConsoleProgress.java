package org.convnet4j.train;

import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A live progress bar per epoch on the terminal (me.tongfei:progressbar), its extra message giving the
 * running loss and images/s; a summary line after each epoch.
 */
public final class ConsoleProgress implements TrainingProgress {
    private final PrintWriter out;
    private ProgressBar bar;

    public ConsoleProgress(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps) {
        closeBar();
        bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + epochs).setInitialMax(steps)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).clearDisplayOnFinish()
                .setUnit(" batches", 1).build();
    }

    @Override
    public void stepDone(int step, double meanLoss, double imagesPerSecond) {
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f %.0f img/s", meanLoss, imagesPerSecond));
        }
    }

    @Override
    public void epochFinished(EpochMetrics m, int epochs) {
        closeBar();
        out.println(PlainProgress.epochLine(m, epochs));
        out.flush();
    }

    @Override
    public void info(String line) {
        out.println(line);
        out.flush();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() {
        closeBar();
        out.flush();
    }
}
