package org.convnet4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.IntConsumer;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
import org.convnet4j.data.Dataset;
import org.convnet4j.distributed.AllReduce;
import org.convnet4j.distributed.AllReduces;
import org.convnet4j.distributed.ProcessGroupOptions;
import org.convnet4j.models.Models;
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
 * config.batch() (the last partial batch is dropped), and evaluates every test item afterwards. A set that
 * fits is held by the backend and each batch gathered there ({@link DeviceBatches}, {@link DataPlacement});
 * otherwise batches are copied from the host ({@link BatchLoader}, through {@code train.forEpoch}, which lets
 * an image folder augment per epoch and decode ahead). The start message says which. Nothing is read back
 * per step: each step's loss and correct predictions are tallied on the backend ({@link BatchTally}) and
 * read every {@link #readEvery} steps without waiting, and summed on the host in step order, so the
 * metrics do not depend on the interval. The
 * model is initialized from the seed; a resumed run loads the parameters, the optimizer state and step
 * count, and the dropout counters from the checkpoint, so it continues exactly as an uninterrupted run
 * would. A new run refuses a directory that already holds one, a resumed run one that holds another run,
 * both before anything there changes. With config.dataParallel() &gt; 1 each batch is split over replicas
 * on several backends ({@link #dataParallel}, {@link DataParallelStep}); replica 0 stands for the network.
 *
 * <p>A loss that is NaN or infinite stops training with {@link TrainingDivergedException} ({@link Divergence}:
 * the step, the read it was found at, the first layer whose output went non-finite, searched on the weights
 * of the failed step by replaying the epoch up to it: up to one epoch's steps more, on failure only; not in a
 * data-parallel run), leaving the last good checkpoint in place; a loss above {@value #LOSS_RISE} times the
 * run's first is warned about once, when it is read. Running out of the Java heap or of GPU memory ends with
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
    /** Steps between two reads of the per-step losses and counts, unless {@link #readEvery} says otherwise. */
    public static final int READ_EVERY = 50;

    private final Backend backend;
    private final TrainConfig config;
    private final Dataset train;
    private final Dataset test;
    private final Path runDir;
    private final TrainingProgress progress;
    private CudaGraphMode cudaGraph = CudaGraphMode.OFF;
    private DataPlacement dataOnDevice = DataPlacement.AUTO;
    private int readEvery = READ_EVERY;
    /** Why a data set is read from the host, for the start message. */
    private final List<String> sourceNotes = new ArrayList<>();
    /** The replicas' backends and the processes of a data-parallel run. */
    private final DataParallelSetup replicas;
    /** The all-reduce of a data-parallel run, for the start message and summary.json. */
    private String allReduceDescription;

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
        this.replicas = new DataParallelSetup(config, backend);
    }

    /**
     * Whether training steps, and the evaluation's forward and argmax, replay as CUDA graphs (default OFF:
     * eager steps). The numbers are the same either way: the same kernels in the same order.
     */
    public Trainer cudaGraph(CudaGraphMode mode) {
        this.cudaGraph = mode;
        return this;
    }

    /**
     * Whether the training and test sets are held by the backend, batches gathered there (default AUTO: on
     * the CUDA backend where a set fits), or read from the host batch by batch; see {@link DataPlacement}.
     */
    public Trainer dataOnDevice(DataPlacement placement) {
        this.dataOnDevice = placement;
        return this;
    }

    /**
     * Steps between two reads of the losses and correct counts the device keeps per step (default
     * {@value #READ_EVERY}; 1 reads after every step). A read started after step s is looked at after step
     * s + n (or at the epoch's end), so the progress bar lags by up to 2n - 1 steps and a non-finite loss is
     * found that late (its layer search replays the epoch up to it, {@link Divergence}); the metrics are the
     * same for every n.
     *
     * @throws IllegalArgumentException n &lt; 1
     */
    public Trainer readEvery(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("--read-every must be >= 1, got " + n);
        }
        this.readEvery = n;
        return this;
    }

    /**
     * The backends of config.dataParallel() replicas, one each, the first this trainer's backend: each step
     * splits the batch over them ({@link DataParallelStep}: the gradients summed by
     * {@link AllReduces#forBackends}, the same update on every replica). Replica 0 is evaluated, checkpointed
     * and searched when the loss diverges (through its weights as found, not replayed); the others start from
     * its parameters (and, on resume, its optimizer state). Training steps run eagerly (no CUDA graph). Unused
     * when config.dataParallel() is 1.
     *
     * @throws IllegalArgumentException backends does not hold config.dataParallel() backends led by this
     *                                  trainer's
     */
    public Trainer dataParallel(List<Backend> backends) {
        replicas.backends(backends);
        return this;
    }

    /**
     * Makes this process rank group.rank() of group.world() processes (one per machine), which train as one
     * data-parallel run: each drives its config.dataParallel() local replicas ({@link #dataParallel}; one when
     * not called) as global ranks rank*N .. rank*N+N-1 of world*N, config.batch() is the global batch, split
     * over all of them as {@link DataParallelStep} says, and each process loads only its ranks' shards. The
     * gradients and the per-step losses and counts are summed across processes
     * ({@link AllReduces#forProcesses}: NCCL for CUDA backends, {@link org.convnet4j.distributed.TcpAllReduce}
     * for CPU backends; the processes meet within timeout, and a peer silent for longer fails the run), so
     * the metrics have the bits of one process with world*N replicas, and every process sees the same losses
     * (a divergence stops all of them at the same step). The parameters (and, resumed, the optimizer state)
     * are broadcast from global rank 0. Only rank 0 evaluates and writes the run directory (checkpoints,
     * metrics.csv, summary.json, plots); the other ranks only log, their test accuracy NaN. A resumed run
     * passes the same checkpoint to every process (its epoch and step count must agree: the rendezvous
     * checks them). A process that fails closes its connections, so the others fail too, naming it.
     */
    public Trainer processes(ProcessGroupOptions group, Duration timeout) {
        replicas.processes(group, timeout);
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
        if (!replicas.writes()) {
            try {
                return train(ckpt, resumeFrom);
            } catch (OutOfMemoryError | DeviceOutOfMemoryException e) {
                throw outOfMemory(e);
            }
        }
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
        sourceNotes.clear();
        int batch = config.batch();
        int steps = train.size() / batch;
        if (replicas.replicated()) {
            return trainReplicas(ckpt, resumeFrom, steps);
        }
        try (Network net = Models.create(config.model(), train.numClasses());
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer optimizer = Optimizers.create(config.optimizer(), backend, config.lr(), config.weightDecay());
             BatchSource batches = batchSource(backend, train, batch);
             BatchTally tally = new BatchTally(backend, steps, batch);
             Evaluator evaluator = new Evaluator(backend, net, test.size(), batchSource(backend, test, batch), batch,
                     cudaGraph, progress::info)) {
            TrainingStep step = new TrainingStep(net, loss, optimizer, batches.images(), batches.labels());
            try (StepRunner runner = StepRunner.create(cudaGraph, backend, step, step::savepoint, "the training step",
                    progress::info)) {
                net.initialize(backend, Models.batchInputShape(config.model(), batch), config.seed());
                return epochs(ckpt, resumeFrom, new Run(net, optimizer, batches, tally, s -> {
                    batches.load(s * batch);
                    runner.run(); // forward, loss, backward and update
                    tally.predict(step.logits());
                    tally.record(batches.labels(), batch, step.loss(), s);
                }, evaluator, null, step));
            }
        }
    }

    /** {@link #train} over config.dataParallel() replicas ({@link #dataParallel}); replica 0 plays the network. */
    private Result trainReplicas(Checkpoint ckpt, Path resumeFrom, int steps) {
        List<Backend> replicaBackends = replicas.replicaBackends(cudaGraph);
        int batch = config.batch();
        try (AllReduce allReduce = replicas.allReduce(replicaBackends, ckpt, progress::info);
             DataParallelStep parallel = DataParallelStep.create(config, train.numClasses(), replicaBackends, allReduce,
                     (b, items) -> batchSource(b, train, items), steps);
             Evaluator evaluator = new Evaluator(backend, parallel.replica(0).net(), test.size(),
                     batchSource(backend, test, batch), batch, cudaGraph, progress::info)) {
            allReduceDescription = allReduce.description();
            DataParallelStep.Replica first = parallel.replica(0);
            return epochs(ckpt, resumeFrom, new Run(first.net(), first.optimizer(), first.batches(), parallel.tallies(),
                    s -> parallel.run(s * batch, s), evaluator, parallel, null));
        }
    }

    /**
     * What the epochs of a run work with: one network, or replica 0 of a data-parallel run (parallel). step
     * trains on batch s of the epoch and records its loss and correct count in tally; eager is one network's
     * training step run eagerly on the batch loaded in batches (the divergence replay), null in a
     * data-parallel run.
     */
    record Run(Network net, Optimizer optimizer, BatchSource batches, StepTally tally, IntConsumer step,
               Evaluator evaluator, DataParallelStep parallel, TrainingStep eager) {
        void setLearningRate(float lr) {
            if (parallel != null) {
                parallel.setLearningRate(lr);
            } else {
                optimizer.setLearningRate(lr);
            }
        }

        void order(int epoch, int[] order) {
            if (parallel != null) {
                parallel.order(epoch, order);
            } else {
                batches.order(epoch, order);
            }
        }
    }

    /**
     * The batches of data on backend on: held by it or read from the host ({@link DataPlacement}); with AUTO, a
     * set the device has no room for is read from the host.
     */
    private BatchSource batchSource(Backend on, Dataset data, int batch) {
        String hostReason = dataOnDevice.hostReason(on, data);
        if (hostReason == null) {
            try {
                return new DeviceBatches(on, data, batch);
            } catch (DeviceOutOfMemoryException e) {
                if (dataOnDevice == DataPlacement.ON) {
                    throw e;
                }
                hostReason = "it did not fit on the device (" + e.getMessage() + ")";
            }
        }
        String note = data.name() + ": " + hostReason;
        if (!sourceNotes.contains(note)) {
            sourceNotes.add(note);
        }
        return new BatchLoader(on, data, batch);
    }

    private Result epochs(Checkpoint ckpt, Path resumeFrom, Run run) {
        List<Parameter> params = run.net().parameters();
        int startEpoch = 1;
        List<EpochMetrics> history = new ArrayList<>();
        String runId = UUID.randomUUID().toString();
        Path lastCheckpoint = null;
        RunReports reports = new RunReports(runDir, config, backend, train, allReduceDescription, progress);
        if (ckpt != null) {
            CheckpointHeader h = restore(ckpt, resumeFrom, run.net(), run.optimizer());
            startEpoch = h.epoch() + 1;
            history.addAll(h.history() != null ? h.history()
                    : new MetricsLog(resumeFrom.toAbsolutePath().resolveSibling(METRICS)).read(h.epoch()));
            runId = h.runId() != null ? h.runId() : runId;
            lastCheckpoint = resumeFrom;
            progress.info("Resumed from " + resumeFrom + " after epoch " + h.epoch() + " ("
                    + run.optimizer().steps() + " optimizer steps).");
            if (replicas.writes() && RunDirectory.latestCheckpoint(runDir) != null) {
                // Repairs files a crash left behind the checkpoint. A new directory gets them with its
                // first checkpoint, so one the run fails in early stays empty and is removed.
                reports.write(history, lastCheckpoint, params);
            }
        }
        if (run.parallel() != null) {
            for (int r = 1; r < run.parallel().replicaCount(); r++) {
                TrainingStep.setDropoutCounters(run.parallel().replica(r).net(), run.optimizer().steps());
            }
            run.parallel().broadcastFromReplica0();
        }
        int batch = config.batch();
        progress.info(String.format(Locale.ROOT, "Training %s (%,d parameters) on %s (%,d items), testing on %s"
                        + " (%,d items); %s lr %s (x %s per epoch), batch %d, seed %d; %s", config.model(),
                run.net().parameterCount(), train.name(), train.size(), test.name(), test.size(), config.optimizer(),
                config.lr(), config.lrDecay(), batch, config.seed(), backend.description())
                + (run.parallel() == null ? "" : String.format(Locale.ROOT, "; data parallel: %d replicas (shards of %s"
                        + " items), all-reduce %s", config.dataParallel(),
                        Arrays.toString(run.parallel().shards()), allReduceDescription)));
        progress.info("Data: " + run.batches().describe() + "; " + run.evaluator().describe()
                + (sourceNotes.isEmpty() ? "" : " (host: " + String.join("; ", sourceNotes) + ")")
                + "; losses and accuracy read every " + readEvery + " steps.");
        progress.info("Run directory: " + runDir);
        Divergence divergence = new Divergence(config, train.size() / batch, readEvery, progress,
                history.isEmpty() ? Double.NaN : history.get(0).trainLoss());
        for (int epoch = startEpoch; epoch <= config.epochs(); epoch++) {
            EpochMetrics m = epoch(epoch, run, lastCheckpoint, divergence);
            history.add(m);
            if (!replicas.writes()) {
                progress.epochFinished(m, config.epochs());
                continue;
            }
            lastCheckpoint = CheckpointFiles.forEpoch(runDir, epoch);
            Checkpoint.write(lastCheckpoint, header(epoch, run.optimizer().steps(), runId, history), params,
                    run.optimizer().state(), backend);
            reports.write(history, lastCheckpoint, params);
            progress.epochFinished(m, config.epochs());
        }
        return new Result(List.copyOf(history), runDir, lastCheckpoint);
    }

    /**
     * Trains epoch: batch after batch in the epoch's order, nothing read back but the tally every
     * {@link #readEvery} steps (the read started then is looked at readEvery steps later) and at the end;
     * then evaluates.
     */
    private EpochMetrics epoch(int epoch, Run run, Path lastCheckpoint, Divergence divergence) {
        int batch = config.batch();
        int steps = train.size() / batch;
        long start = System.nanoTime();
        run.setLearningRate(config.learningRate(epoch));
        progress.epochStarted(epoch, config.epochs(), steps);
        run.order(epoch, EpochOrder.permutation(config.seed(), epoch, train.size()));
        run.tally().reset();
        double lossSum = 0;
        long correct = 0;
        int checked = 0;
        for (int s = 0; s < steps; s++) {
            run.step().accept(s);
            if ((s + 1) % readEvery != 0 && s + 1 < steps) {
                continue;
            }
            int known = run.tally().read(s + 1, s + 1 == steps);
            for (; checked < known; checked++) { // in step order: the sum keeps its bits
                float l = run.tally().loss(checked);
                if (!Float.isFinite(l)) {
                    throw divergence.diverged(l, epoch, checked, s + 1, lastCheckpoint, run,
                            () -> rewind(run, lastCheckpoint));
                }
                divergence.checkRise(l, epoch, checked + 1);
                lossSum += l;
                correct += run.tally().correct(checked);
            }
            if (known > 0) {
                progress.stepDone(known, lossSum / known, known * (double) batch / ((System.nanoTime() - start) / 1e9));
            }
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        double testAccuracy = replicas.writes() ? run.evaluator().accuracy() : Double.NaN;
        double seconds = (System.nanoTime() - start) / 1e9;
        return new EpochMetrics(epoch, lossSum / steps, correct / (double) (steps * batch), testAccuracy, seconds,
                steps * (double) batch / trainSeconds);
    }

    private CheckpointHeader header(int epoch, int optimizerSteps, String runId, List<EpochMetrics> history) {
        return new CheckpointHeader(config.model(), train.numClasses(), epoch, config.optimizer(), config.lr(),
                config.lrDecay(), config.weightDecay(), optimizerSteps, config.seed(), config.batch(), config.dataset(),
                config.limitTrain(), config.epochs(), runId, history, train.describe());
    }

    /**
     * Puts one network's parameters and optimizer (state, step count) and its dropout counters back to the
     * current epoch's start: as lastCheckpoint holds them, or, with none (epoch 1 of a new run), as the run
     * started: initialized from the seed, the optimizer's state zeroed and its step count 0.
     */
    private void rewind(Run run, Path lastCheckpoint) {
        if (lastCheckpoint != null) {
            restore(Checkpoint.read(lastCheckpoint), lastCheckpoint, run.net(), run.optimizer());
            return;
        }
        try (Network initial = Models.create(config.model(), train.numClasses())) {
            initial.initialize(backend, Models.batchInputShape(config.model(), config.batch()), config.seed());
            List<Parameter> from = initial.parameters();
            List<Parameter> to = run.net().parameters();
            for (int i = 0; i < to.size(); i++) {
                backend.copy(from.get(i).value(), to.get(i).value());
            }
        }
        for (Tensor t : run.optimizer().state().values()) {
            backend.fill(t, 0);
        }
        run.optimizer().restoreSteps(0);
        TrainingStep.setDropoutCounters(run.net(), 0);
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
        TrainingStep.setDropoutCounters(net, h.optimizerSteps());
        return h;
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
}
