package org.convnet4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
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
import org.convnet4j.tensor.Tensor;

/**
 * Trains a model on a data set, epoch after epoch, writing a run directory ({@link RunDirectory}: every
 * file replaced atomically):
 * <ul>
 *   <li>checkpoint-epoch-NNN.ckpt after every epoch ({@link Checkpoint}; earlier ones are kept). Its header
 *       carries the run's id, its epoch target and the metrics of every epoch so far: the one source of
 *       the files below;</li>
 *   <li>metrics.csv (one line per epoch), summary.json, curves.png (loss and accuracy per epoch) and
 *       filters.png (the first convolution's filters), rewritten from that history after every checkpoint
 *       and when a run resumes, so a crash between two writes leaves no epoch missing or doubled.</li>
 * </ul>
 * Epoch e visits the training items in {@link EpochOrder#permutation}(seed, e) order, in mini-batches of
 * config.batch() (the last partial batch is dropped; the batches come from {@code train.forEpoch}, which
 * lets an image folder augment per epoch and decode ahead), and evaluates every test item afterwards. The
 * model is initialized from the seed; a resumed run loads the parameters, the optimizer state and step
 * count, and the dropout counters from the checkpoint, so it continues exactly as an uninterrupted run
 * would. A new run refuses a directory that already holds one, a resumed run one that holds another run,
 * both before anything there changes.
 *
 * <p>A loss that is NaN or infinite stops training with {@link TrainingDivergedException}, naming the first
 * layer whose output (or the last backward's gradient) held a non-finite value and leaving the last good
 * checkpoint in place; a loss above {@value #LOSS_RISE} times the run's first (its first step's, or on resume
 * its first epoch's mean) is warned about once. Running out of the Java heap or of GPU memory ends with
 * {@link TrainingOutOfMemoryException}; a run directory the run created and left empty is removed.
 */
public final class Trainer {
    /** File names inside a run directory. */
    public static final String METRICS = "metrics.csv";
    public static final String SUMMARY = "summary.json";
    public static final String CURVES = "curves.png";
    public static final String FILTERS = "filters.png";
    /** How many times its first value the loss may reach before a warning. */
    public static final double LOSS_RISE = 100;

    private final Backend backend;
    private final TrainConfig config;
    private final Dataset train;
    private final Dataset test;
    private final Path runDir;
    private final TrainingProgress progress;
    private CudaGraphMode cudaGraph = CudaGraphMode.OFF;
    /** Pictures this runtime cannot draw (see {@link #writePicture}). */
    private final Set<String> undrawable = new HashSet<>();

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

    /**
     * Whether training steps replay as one CUDA graph (default OFF: eager steps). With a graph, a step's
     * loss and predictions are read after its update, so the numbers are the same, but a diverged step's
     * search for the first non-finite layer runs on the parameters that step updated.
     */
    public Trainer cudaGraph(CudaGraphMode mode) {
        this.cudaGraph = mode;
        return this;
    }

    /**
     * Trains from scratch (resumeFrom null) or from a checkpoint file, up to config.epochs() epochs.
     *
     * @throws IllegalArgumentException     runDir is a file, or holds a run (a new one) or another run (a resume)
     * @throws TrainingDivergedException    the loss became NaN or infinite
     * @throws TrainingOutOfMemoryException the batch does not fit in the Java heap or on the GPU
     * @throws RunDirectoryException        a file of the run directory cannot be written
     */
    public Result run(Path resumeFrom) {
        Checkpoint ckpt = resumeFrom == null ? null : Checkpoint.read(resumeFrom);
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw new IllegalArgumentException("run directory " + runDir + " is a file, not a directory");
        }
        if (ckpt == null && RunDirectory.holdsARun(runDir)) {
            throw new IllegalArgumentException("run directory " + runDir + " already holds a run (metrics.csv or"
                    + " checkpoints); resume it or train into another directory, so nothing of it is overwritten");
        }
        if (ckpt != null) {
            RunDirectory.checkResumable(runDir, resumeFrom, ckpt.header());
        }
        boolean created = !Files.exists(runDir);
        try {
            Files.createDirectories(runDir);
            int stale = RunDirectory.removeStaleTemporaries(runDir);
            if (stale > 0) {
                progress.info("Removed " + stale + " temporary file(s) an interrupted run left in " + runDir + ".");
            }
        } catch (java.io.IOException e) {
            throw new RunDirectoryException("Cannot use run directory " + runDir + ": " + e, e);
        }
        try {
            return train(ckpt, resumeFrom);
        } catch (OutOfMemoryError | DeviceOutOfMemoryException e) {
            removeIfEmpty(created);
            throw outOfMemory(e);
        } catch (RuntimeException | Error e) {
            removeIfEmpty(created);
            throw e;
        }
    }

    private void removeIfEmpty(boolean created) {
        if (created) {
            RunDirectory.deleteIfEmpty(runDir);
        }
    }

    private Result train(Checkpoint ckpt, Path resumeFrom) {
        int batch = config.batch();
        try (Network net = Models.create(config.model(), train.numClasses());
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer optimizer = Optimizers.create(config.optimizer(), backend, config.lr(), config.weightDecay());
             BatchLoader loader = new BatchLoader(backend, batch, train.itemShape());
             StepRunner graphSteps = StepRunner.create(cudaGraph, backend,
                     new TrainingStep(net, loss, optimizer, loader.images(), loader.labels()), progress::info)) {
            net.initialize(backend, Models.batchInputShape(config.model(), batch), config.seed());
            List<Parameter> params = net.parameters();
            int startEpoch = 1;
            List<EpochMetrics> history = new ArrayList<>();
            String runId = UUID.randomUUID().toString();
            Path lastCheckpoint = null;
            if (ckpt != null) {
                CheckpointHeader h = restore(ckpt, resumeFrom, net, optimizer);
                startEpoch = h.epoch() + 1;
                history.addAll(h.history() != null ? h.history()
                        : new MetricsLog(resumeFrom.toAbsolutePath().resolveSibling(METRICS)).read(h.epoch()));
                runId = h.runId() != null ? h.runId() : runId;
                lastCheckpoint = resumeFrom;
                progress.info("Resumed from " + resumeFrom + " after epoch " + h.epoch() + " (" + optimizer.steps()
                        + " optimizer steps).");
                if (RunDirectory.latestCheckpoint(runDir) != null) {
                    // Repairs files a crash left behind the checkpoint. A new directory gets them with its
                    // first checkpoint, so one the run fails in early stays empty and is removed.
                    writeReports(history, lastCheckpoint, params);
                }
            }
            progress.info(String.format(Locale.ROOT, "Training %s (%,d parameters) on %s (%,d items), testing on %s"
                            + " (%,d items); %s lr %s (x %s per epoch), batch %d, seed %d; %s", config.model(),
                    net.parameterCount(), train.name(), train.size(), test.name(), test.size(), config.optimizer(),
                    config.lr(), config.lrDecay(), batch,
                    config.seed(), backend.description()));
            progress.info("Run directory: " + runDir);
            int steps = train.size() / batch;
            double firstLoss = history.isEmpty() ? Double.NaN : history.get(0).trainLoss();
            boolean warnedRise = false;
            for (int epoch = startEpoch; epoch <= config.epochs(); epoch++) {
                long start = System.nanoTime();
                int[] order = EpochOrder.permutation(config.seed(), epoch, train.size());
                optimizer.setLearningRate(config.learningRate(epoch));
                progress.epochStarted(epoch, config.epochs(), steps);
                Dataset epochData = train.forEpoch(epoch, order, batch);
                double lossSum = 0;
                long correct = 0;
                for (int s = 0; s < steps; s++) {
                    loader.load(epochData, order, s * batch);
                    Tensor logits;
                    float l;
                    if (graphSteps != null) { // forward, loss, backward and update, then the reads
                        graphSteps.run();
                        logits = graphSteps.step().logits();
                        l = backend.toFloatArray(graphSteps.step().loss())[0];
                    } else {
                        logits = net.forward(loader.images(), true);
                        l = loss.forward(logits, loader.labels());
                    }
                    if (!Float.isFinite(l)) {
                        // Replays this step's forward (same dropout masks) to find where it went non-finite.
                        setDropoutCounters(net, optimizer.steps() - (graphSteps != null ? 1 : 0));
                        throw diverged(l, epoch, s + 1, steps, lastCheckpoint, locateNonFinite(net, loader));
                    }
                    if (Double.isNaN(firstLoss)) {
                        firstLoss = l;
                    } else if (!warnedRise && l > LOSS_RISE * firstLoss) {
                        warnedRise = true;
                        progress.warn(String.format(Locale.ROOT, "the loss rose to %.4g at epoch %d, step %d, over"
                                        + " %.0f times its first value %.4g (%s, lr %s): training is likely diverging;"
                                        + " a lower --lr may help", l, epoch, s + 1, LOSS_RISE, firstLoss,
                                config.optimizer(), config.learningRate(epoch)));
                    }
                    lossSum += l;
                    correct += loader.countCorrect(logits, batch);
                    if (graphSteps == null) {
                        net.zeroGrad(); // after forward, not before: a diverged step's search reads the last gradients
                        net.backward(loss.backward(), false);
                        optimizer.step(params);
                    }
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    progress.stepDone(s + 1, lossSum / (s + 1), (s + 1) * (double) batch / elapsed);
                }
                double trainSeconds = (System.nanoTime() - start) / 1e9;
                double testAccuracy = Evaluator.accuracy(net, test, loader);
                double seconds = (System.nanoTime() - start) / 1e9;
                EpochMetrics m = new EpochMetrics(epoch, lossSum / steps, correct / (double) (steps * batch),
                        testAccuracy, seconds, steps * (double) batch / trainSeconds);
                history.add(m);
                lastCheckpoint = CheckpointFiles.forEpoch(runDir, epoch);
                Checkpoint.write(lastCheckpoint, header(epoch, optimizer.steps(), runId, history), params,
                        optimizer.state(), backend);
                writeReports(history, lastCheckpoint, params);
                progress.epochFinished(m, config.epochs());
            }
            return new Result(List.copyOf(history), runDir, lastCheckpoint);
        }
    }

    private CheckpointHeader header(int epoch, int optimizerSteps, String runId, List<EpochMetrics> history) {
        return new CheckpointHeader(config.model(), train.numClasses(), epoch, config.optimizer(), config.lr(),
                config.lrDecay(), config.weightDecay(), optimizerSteps, config.seed(), config.batch(), config.dataset(),
                config.limitTrain(), config.epochs(), runId, history, train.describe());
    }

    /** Loads ckpt (read from file) into net and optimizer; returns its header. */
    private CheckpointHeader restore(Checkpoint ckpt, Path file, Network net, Optimizer optimizer) {
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
        return h;
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

    /** Where the failed step first held a non-finite value, as sentences for the divergence message. */
    private static String locateNonFinite(Network net, BatchLoader loader) {
        String output = net.firstNonFiniteStep(loader.images(), true)
                .map(s -> "The first layer whose output held a NaN or an infinity is '" + s.name() + "' ("
                        + s.type() + ")")
                .orElse("Every layer's output was finite (the loss itself overflowed)");
        String gradient = net.firstNonFiniteGradient()
                .map(p -> "the step before's backward first gave a non-finite gradient at " + p.name()
                        + " (counting from the last layer), so its update broke the weights")
                .orElse("the step before's gradients were finite");
        return output + "; " + gradient + ".";
    }

    private TrainingDivergedException diverged(float l, int epoch, int step, int steps, Path lastCheckpoint,
                                               String where) {
        return new TrainingDivergedException("Training diverged: the loss became " + l + " at epoch " + epoch
                + ", step " + step + " of " + steps + " (" + config.optimizer() + ", lr " + config.learningRate(epoch)
                + ", batch " + config.batch() + "). " + where + " "
                + (lastCheckpoint == null ? "No checkpoint had been written yet."
                : "The last good checkpoint, " + lastCheckpoint + ", is kept.") + " Train again with a lower --lr"
                + " (a resumed run keeps its checkpoint's lr, so it would diverge again).", epoch, step);
    }

    private TrainingOutOfMemoryException outOfMemory(Throwable e) {
        boolean heap = e instanceof OutOfMemoryError;
        String what = heap ? String.format(Locale.ROOT, "the Java heap (%,d MiB at most) is full (%s)",
                Runtime.getRuntime().maxMemory() >> 20, e.getMessage())
                : "the GPU is out of memory (" + e.getMessage() + ")";
        return new TrainingOutOfMemoryException(config.model() + " at batch " + config.batch() + " does not fit in"
                + " memory: " + what + ". Use a smaller --batch" + (heap ? ", or give Java a larger heap, e.g."
                + " JAVA_OPTS=-Xmx8g" : "") + ".", e);
    }

    /** metrics.csv, summary.json and the two pictures, all from history. */
    private void writeReports(List<EpochMetrics> history, Path lastCheckpoint, List<Parameter> params) {
        new MetricsLog(runDir.resolve(METRICS)).write(history);
        var summary = RunSummary.toMap(config, backend.name(), backend.description(), history, lastCheckpoint);
        if (!train.describe().isEmpty()) {
            summary.put("data", train.describe());
        }
        RunSummary.write(runDir.resolve(SUMMARY), summary);
        if (!history.isEmpty()) {
            writePicture(CURVES, () -> TrainingPlot.png(config.model() + " on " + config.dataset(), history));
        }
        for (Parameter p : params) {
            if (p.isTrainable() && p.shape().rank() == 4) {
                float[] w = backend.toFloatArray(p.value());
                writePicture(FILTERS, () -> FilterImage.png(p.shape(), w));
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
                        + " the class path; the same numbers are in " + METRICS + ".");
            } else {
                progress.warn(name + " not drawn, this Java runtime cannot draw it (" + e + "); not trying again in"
                        + " this run. The same numbers are in " + METRICS + ".");
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
