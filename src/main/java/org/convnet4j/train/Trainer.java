package org.convnet4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Dropout;
import org.convnet4j.nn.Layer;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.AbstractOptimizer;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.Shape;

/**
 * Trains a model on a data set, epoch after epoch, writing a run directory:
 * <ul>
 *   <li>checkpoint-epoch-NNN.ckpt after every epoch ({@link Checkpoint}; earlier ones are kept),</li>
 *   <li>metrics.csv (one line per epoch, appended), summary.json (rewritten every epoch),</li>
 *   <li>curves.png (loss and accuracy per epoch) and filters.png (the first convolution's filters).</li>
 * </ul>
 * Epoch e visits the training items in {@link EpochOrder#permutation}(seed, e) order, in mini-batches of
 * config.batch() (the last partial batch is dropped), and evaluates every test item afterwards. The
 * model is initialized from the seed; a resumed run loads the parameters, the optimizer state and step
 * count, and the dropout counters from the checkpoint, so it continues exactly as an uninterrupted run
 * would. A loss that is NaN or infinite stops training with {@link TrainingDivergedException}, leaving
 * the last good checkpoint in place.
 */
public final class Trainer {
    /** File names inside a run directory. */
    public static final String METRICS = "metrics.csv";
    public static final String SUMMARY = "summary.json";
    public static final String CURVES = "curves.png";
    public static final String FILTERS = "filters.png";

    private final Backend backend;
    private final TrainConfig config;
    private final Dataset train;
    private final Dataset test;
    private final Path runDir;
    private final TrainingProgress progress;

    /** The outcome of {@link #run}: every epoch's metrics (resumed ones included) and the last checkpoint. */
    public record Result(List<EpochMetrics> history, Path runDir, Path lastCheckpoint) {
        /** Test accuracy after the last epoch. */
        public double testAccuracy() {
            return history.isEmpty() ? Double.NaN : history.get(history.size() - 1).testAccuracy();
        }
    }

    public Trainer(Backend backend, TrainConfig config, Dataset train, Dataset test, Path runDir,
                   TrainingProgress progress) {
        Shape input = Models.inputShape(config.model());
        for (Dataset d : new Dataset[] {train, test}) {
            if (!d.itemShape().equals(input)) {
                throw new IllegalArgumentException("model " + config.model() + " takes items of shape " + input
                        + " but data set " + d.name() + " has items of shape " + d.itemShape());
            }
        }
        if (train.numClasses() != test.numClasses()) {
            throw new IllegalArgumentException("training set " + train.name() + " has " + train.numClasses()
                    + " classes but test set " + test.name() + " has " + test.numClasses());
        }
        if (train.size() < config.batch()) {
            throw new IllegalArgumentException("the training set has " + train.size() + " items, fewer than one batch"
                    + " of " + config.batch() + "; lower --batch or raise --limit-train");
        }
        this.backend = backend;
        this.config = config;
        this.train = train;
        this.test = test;
        this.runDir = runDir;
        this.progress = progress;
    }

    /** Trains from scratch (resumeFrom null) or from a checkpoint file, up to config.epochs() epochs. */
    public Result run(Path resumeFrom) {
        try {
            Files.createDirectories(runDir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create run directory " + runDir + ": " + e, e);
        }
        MetricsLog metrics = new MetricsLog(runDir.resolve(METRICS));
        if (resumeFrom == null && holdsARun(runDir)) {
            throw new IllegalArgumentException("run directory " + runDir + " already holds a run (metrics.csv or"
                    + " checkpoints); resume it or train into another directory, so nothing of it is overwritten");
        }
        int batch = config.batch();
        try (Network net = Models.create(config.model(), train.numClasses());
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer optimizer = Optimizers.create(config.optimizer(), backend, config.lr(), config.weightDecay());
             BatchLoader loader = new BatchLoader(backend, batch, train.itemShape())) {
            net.initialize(backend, Models.batchInputShape(config.model(), batch), config.seed());
            List<Parameter> params = net.parameters();
            int startEpoch = 1;
            List<EpochMetrics> history = new ArrayList<>();
            Path lastCheckpoint = null;
            if (resumeFrom != null) {
                int done = restore(resumeFrom, net, optimizer);
                startEpoch = done + 1;
                history.addAll(metrics.read(done));
                lastCheckpoint = resumeFrom;
                progress.info("Resumed from " + resumeFrom + " after epoch " + done + " (" + optimizer.steps()
                        + " optimizer steps).");
            }
            progress.info(String.format(Locale.ROOT, "Training %s (%,d parameters) on %s (%,d items), testing on %s"
                            + " (%,d items); %s lr %s (x %s per epoch), batch %d, seed %d; %s", config.model(),
                    net.parameterCount(), train.name(), train.size(), test.name(), test.size(), config.optimizer(),
                    config.lr(), config.lrDecay(), batch,
                    config.seed(), backend.description()));
            progress.info("Run directory: " + runDir);
            int steps = train.size() / batch;
            for (int epoch = startEpoch; epoch <= config.epochs(); epoch++) {
                long start = System.nanoTime();
                int[] order = EpochOrder.permutation(config.seed(), epoch, train.size());
                optimizer.setLearningRate(config.learningRate(epoch));
                progress.epochStarted(epoch, config.epochs(), steps);
                double lossSum = 0;
                long correct = 0;
                for (int s = 0; s < steps; s++) {
                    loader.load(train, order, s * batch);
                    net.zeroGrad();
                    var logits = net.forward(loader.images(), true);
                    float l = loss.forward(logits, loader.labels());
                    if (!Float.isFinite(l)) {
                        throw diverged(l, epoch, s + 1, steps, lastCheckpoint);
                    }
                    lossSum += l;
                    correct += loader.countCorrect(logits, batch);
                    net.backward(loss.backward(), false);
                    optimizer.step(params);
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    progress.stepDone(s + 1, lossSum / (s + 1), (s + 1) * (double) batch / elapsed);
                }
                double trainSeconds = (System.nanoTime() - start) / 1e9;
                double testAccuracy = Evaluator.accuracy(net, test, loader);
                double seconds = (System.nanoTime() - start) / 1e9;
                EpochMetrics m = new EpochMetrics(epoch, lossSum / steps, correct / (double) (steps * batch),
                        testAccuracy, seconds, steps * (double) batch / trainSeconds);
                lastCheckpoint = CheckpointFiles.forEpoch(runDir, epoch);
                Checkpoint.write(lastCheckpoint, header(epoch, optimizer.steps(), train.numClasses()), params,
                        optimizer.state(), backend);
                metrics.append(m);
                history.add(m);
                writeReports(history, lastCheckpoint, params);
                progress.epochFinished(m, config.epochs());
            }
            return new Result(List.copyOf(history), runDir, lastCheckpoint);
        }
    }

    /** Whether dir already has a metrics.csv or a checkpoint (a new run there would overwrite them). */
    public static boolean holdsARun(Path dir) {
        if (Files.exists(dir.resolve(METRICS)) || Files.exists(CheckpointFiles.forEpoch(dir, 1))) {
            return true;
        }
        try {
            CheckpointFiles.resolve(dir);
            return true;
        } catch (CheckpointException e) {
            return false;
        }
    }

    private CheckpointHeader header(int epoch, int optimizerSteps, int numClasses) {
        return new CheckpointHeader(config.model(), numClasses, epoch, config.optimizer(), config.lr(),
                config.lrDecay(), config.weightDecay(), optimizerSteps, config.seed(), config.batch(), config.dataset(),
                config.limitTrain());
    }

    /** Loads file into net and optimizer; returns the epochs it had completed. */
    private int restore(Path file, Network net, Optimizer optimizer) {
        Checkpoint ckpt = Checkpoint.read(file);
        CheckpointHeader h = ckpt.header();
        if (h.numClasses() != train.numClasses()) {
            throw new CheckpointException("Checkpoint " + file + " has " + h.numClasses() + " classes but the data set "
                    + train.name() + " has " + train.numClasses() + ".");
        }
        if (!h.optimizer().equals(optimizer.name())) {
            throw new CheckpointException("Checkpoint " + file + " was written with optimizer " + h.optimizer()
                    + ", not " + optimizer.name() + ".");
        }
        if (optimizer instanceof AbstractOptimizer a && !ckpt.optimizerState().isEmpty()) {
            a.allocateState(net.parameters());
        }
        ckpt.restore(file, config.model(), net.parameters(), optimizer.state(), backend);
        optimizer.restoreSteps(h.optimizerSteps());
        setDropoutCounters(net, h.optimizerSteps());
        return h.epoch();
    }

    /** Each training forward advances every dropout layer's counter once; one forward per optimizer step. */
    private static void setDropoutCounters(Layer layer, long forwards) {
        if (layer instanceof Dropout d) {
            d.setForwardCount(forwards);
        } else if (layer instanceof Network n) {
            for (Layer l : n.layers()) {
                setDropoutCounters(l, forwards);
            }
        }
    }

    private TrainingDivergedException diverged(float l, int epoch, int step, int steps, Path lastCheckpoint) {
        return new TrainingDivergedException("Training diverged: the loss became " + l + " at epoch " + epoch
                + ", step " + step + " of " + steps + " (" + config.optimizer() + ", lr " + config.learningRate(epoch) + ", batch "
                + config.batch() + "). " + (lastCheckpoint == null ? "No checkpoint had been written yet."
                : "The last good checkpoint, " + lastCheckpoint + ", is kept.") + " Train again with a lower --lr"
                + " (a resumed run keeps its checkpoint's lr, so it would diverge again).", epoch, step);
    }

    private String curvesUnavailable;

    private void writeReports(List<EpochMetrics> history, Path lastCheckpoint, List<Parameter> params) {
        RunSummary.write(runDir.resolve(SUMMARY), RunSummary.toMap(config, backend.name(), backend.description(),
                history, lastCheckpoint));
        writeCurves(history);
        for (Parameter p : params) {
            if (p.isTrainable() && p.shape().rank() == 4) {
                FilterImage.write(runDir.resolve(FILTERS), p.shape(), backend.toFloatArray(p.value()));
                break;
            }
        }
    }

    /**
     * The curves need a font to draw their labels; a host without the native font libraries (seen on a
     * GPU host with no JDK and no fonts) cannot draw one. That must not stop training: say so once and
     * go on, the numbers are in metrics.csv.
     */
    private void writeCurves(List<EpochMetrics> history) {
        if (curvesUnavailable != null) {
            return;
        }
        try {
            TrainingPlot.write(runDir.resolve(CURVES), config.model() + " on " + config.dataset(), history);
        } catch (LinkageError | java.awt.AWTError | RuntimeException e) {
            curvesUnavailable = e.toString();
            try {
                java.nio.file.Files.deleteIfExists(runDir.resolve(CURVES));
            } catch (java.io.IOException ignored) {
                // the warning below says the file is not valid either way
            }
            System.err.println("warning: " + CURVES + " not written, this Java runtime cannot draw text ("
                    + curvesUnavailable + "); the same numbers are in " + METRICS);
        }
    }
}
