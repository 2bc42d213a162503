package org.convnet4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.nn.Parameter;

/**
 * The files of a run directory that are rewritten from the run's history after every checkpoint (and when a
 * run resumes): {@value Trainer#METRICS}, {@value Trainer#SUMMARY}, {@value Trainer#CURVES} and
 * {@value Trainer#FILTERS}. One per run: a picture this runtime cannot draw is tried once.
 */
final class RunReports {
    private final Path runDir;
    private final TrainConfig config;
    private final Backend backend;
    private final Dataset train;
    /** The all-reduce of a data-parallel run, for summary.json; unused when config.dataParallel() is 1. */
    private final String allReduceDescription;
    private final TrainingProgress progress;
    /** Pictures this runtime cannot draw (see {@link #writePicture}). */
    private final Set<String> undrawable = new HashSet<>();

    RunReports(Path runDir, TrainConfig config, Backend backend, Dataset train, String allReduceDescription,
               TrainingProgress progress) {
        this.runDir = runDir;
        this.config = config;
        this.backend = backend;
        this.train = train;
        this.allReduceDescription = allReduceDescription;
        this.progress = progress;
    }

    /** metrics.csv, summary.json and the two pictures, all from history; params: the network's, in order. */
    void write(List<EpochMetrics> history, Path lastCheckpoint, List<Parameter> params) {
        new MetricsLog(runDir.resolve(Trainer.METRICS)).write(history);
        var summary = RunSummary.toMap(config, backend.name(), backend.description(), history, lastCheckpoint);
        if (!train.describe().isEmpty()) {
            summary.put("data", train.describe());
        }
        if (config.dataParallel() > 1) {
            summary.put("data_parallel", config.dataParallel());
            summary.put("all_reduce", allReduceDescription);
        }
        RunSummary.write(runDir.resolve(Trainer.SUMMARY), summary);
        if (!history.isEmpty()) {
            writePicture(Trainer.CURVES, () -> TrainingPlot.png(config.model() + " on " + config.dataset(), history));
        }
        for (Parameter p : params) {
            if (p.isTrainable() && p.shape().rank() == 4) {
                float[] w = backend.toFloatArray(p.value());
                writePicture(Trainer.FILTERS, () -> FilterImage.png(p.shape(), w));
                break;
            }
        }
    }

    /**
     * Draws one picture and writes it. Drawing needs XChart for the curves (an optional dependency: an
     * embedder may leave it out) and fonts, which a host without the native font libraries (seen on a GPU
     * host with no JDK and no fonts) lacks: that is said once and the picture is not tried again in this
     * run. Writing can fail for a while (a full disk): that is said with its cause, and the next epoch tries
     * again. Neither stops training; the numbers are in metrics.csv.
     */
    private void writePicture(String name, Supplier<byte[]> draw) {
        if (undrawable.contains(name)) {
            return;
        }
        byte[] png;
        try {
            png = draw.get();
        } catch (LinkageError | java.awt.AWTError | RuntimeException e) {
            undrawable.add(name);
            try {
                Files.deleteIfExists(runDir.resolve(name)); // an older picture would no longer be current
            } catch (java.io.IOException ignored) {
                // the warning below says the picture is not current either way
            }
            if (e instanceof NoClassDefFoundError && String.valueOf(e.getMessage()).startsWith("org/knowm/xchart")) {
                progress.warn(name + " skipped: XChart (org.knowm.xchart:xchart, an optional dependency) is not on"
                        + " the class path; the same numbers are in " + Trainer.METRICS + ".");
            } else {
                progress.warn(name + " not drawn, this Java runtime cannot draw it (" + e + "); not trying again in"
                        + " this run. The same numbers are in " + Trainer.METRICS + ".");
            }
            return;
        }
        try {
            RunDirectory.write(runDir.resolve(name), png);
        } catch (java.io.IOException e) {
            progress.warn(name + " not written (" + e + "); trying again after the next epoch.");
        }
    }
}
