package org.convnet4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.Backends;
import org.convnet4j.bench.ConvAlgoOption;
import org.convnet4j.data.ImageTransform;
import org.convnet4j.distributed.ProcessGroupOptions;
import org.convnet4j.distributed.TcpRendezvous;
import org.convnet4j.data.MnistFiles;
import org.convnet4j.models.Models;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.train.Checkpoint;
import org.convnet4j.train.CheckpointFiles;
import org.convnet4j.train.CheckpointHeader;
import org.convnet4j.train.ConsoleProgress;
import org.convnet4j.train.PlainProgress;
import org.convnet4j.train.RunDirectory;
import org.convnet4j.train.TrainConfig;
import org.convnet4j.train.CudaGraphMode;
import org.convnet4j.train.DataPlacement;
import org.convnet4j.train.Trainer;
import org.convnet4j.train.TrainingProgress;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code convnet4j train}: trains a model, writing a run directory (see {@link Trainer}). */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model. With no options: LeNet-5 on MNIST, Adam, lr 0.001 times 0.85 per epoch,"
                + " batch 64, 10 epochs, which reaches about 99%% test accuracy.",
                "Writes metrics.csv, summary.json, curves.png, filters.png and a checkpoint per epoch into the run"
                        + " directory."})
final class TrainCommand extends BaseCommand {
    @Option(names = "--model", defaultValue = "lenet5", description = "Model: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
            completionCandidates = ModelNames.class)
    String model;

    @Option(names = "--dataset", defaultValue = "mnist", description = "mnist, synthetic, or folder:DIR (one subfolder of"
            + " JPEG/PNG images per class). Default: ${DEFAULT-VALUE}.")
    String dataset;

    @ArgGroup(exclusive = false, heading = "Image folders (--dataset folder:DIR):%n")
    FolderArgs folder = new FolderArgs();

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs to reach (with --resume: in total; without"
            + " it a resumed run trains to its own target). Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch", defaultValue = "64", description = "Mini-batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--lr", defaultValue = "0.001", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    float lr;

    @Option(names = "--lr-decay", defaultValue = "0.85", paramLabel = "F",
            description = "Multiply the learning rate by F after every epoch (1: constant). Default: ${DEFAULT-VALUE}.")
    float lrDecay;

    @Option(names = "--optimizer", defaultValue = "adam", description = "Optimizer: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
            completionCandidates = OptimizerNames.class)
    String optimizer;

    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 weight decay. Default: ${DEFAULT-VALUE}.")
    float weightDecay;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--cuda-graph", defaultValue = "auto", paramLabel = "auto|on|off",
            description = "Replay the training step as one CUDA graph: auto (on the GPU where the capture works,"
                    + " else eager with the reason), on (an error where it cannot), off. Default: ${DEFAULT-VALUE}.")
    String cudaGraph;

    @Option(names = "--data-on-device", defaultValue = "auto", paramLabel = "auto|on|off",
            description = "Hold the training and test sets on the device, uploaded once, and gather each batch there:"
                    + " auto (on the GPU, for a set of at most 1 GiB that gives the same items every epoch), on,"
                    + " off (copy every batch from the host). Default: ${DEFAULT-VALUE}.")
    String dataOnDevice;

    @Option(names = "--read-every", defaultValue = "" + Trainer.READ_EVERY, paramLabel = "N",
            description = "Read the per-step losses and correct counts from the device every N steps, without waiting"
                    + " (the progress bar and the divergence check lag by up to 2N-1 steps; the metrics do not"
                    + " change). Default: ${DEFAULT-VALUE}.")
    int readEvery;

    @Option(names = "--threads", defaultValue = "0", description = "CPU backend threads (0: every processor).")
    int threads;

    @Option(names = "--data-parallel", defaultValue = "1", paramLabel = "N", description = "Split every batch over N"
            + " replicas of the network, the gradients summed after each backward: N CPU backends sharing --threads,"
            + " or GPUs 0..N-1. 1 <= N <= --batch. Default: ${DEFAULT-VALUE}.")
    int dataParallel;

    @Option(names = "--limit-train", defaultValue = "0", paramLabel = "N",
            description = "Train on the first N training items only (0: all).")
    int limitTrain;

    @Option(names = "--seed", defaultValue = "1", description = "Seeds initialization and shuffling. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the MNIST IDX files are (raw or .gz). Default: data/mnist.")
    Path dataDir = MnistFiles.DEFAULT_DIR;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory. Default: runs/<model>-<timestamp>"
            + " (with --resume: the checkpoint's directory).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR_OR_FILE", description = "Continue from a checkpoint file, or"
            + " the latest checkpoint in a run directory, up to the run's own --epochs; model, optimizer, lr, batch"
            + " and seed come from it. Refuses an --out that holds another run.")
    Path resume;

    @Mixin
    ConvAlgoOption convAlgo;

    @ArgGroup(exclusive = false, heading = "Several machines (one process each; NCCL on GPUs, TCP on CPUs; all three"
            + " or none):%n")
    ProcessGroupArgs processGroup = new ProcessGroupArgs();

    @Override
    public Integer call() {
        convAlgo.apply();
        ProcessGroupOptions group = processGroup();
        boolean writes = group == null || group.rank() == 0;
        DataPlacement placement;
        try {
            placement = DataPlacement.parse(dataOnDevice);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (readEvery < 1) {
            throw usage("--read-every must be >= 1, got " + readEvery);
        }
        TrainConfig config;
        Path resumeFile = null;
        DataSources.FolderOptions folderOptions = null;
        Path runDir = out;
        if (resume != null) {
            resumeFile = CheckpointFiles.resolve(resume);
            CheckpointHeader h = Checkpoint.readHeader(resumeFile);
            folderOptions = new DataSources.FolderOptions(null, 0, null, folder.loaderThreads, h.data());
            checkNoConflict(h);
            int target = resumeTarget(resumeFile, h);
            checkDataParallel(h.batch(), group);
            config = new TrainConfig(h.model(), h.dataset(), target, h.batch(), h.lr(), h.lrDecay(), h.optimizer(), h.weightDecay(),
                    h.seed(), h.limitTrain(), dataParallel);
            if (runDir == null) {
                runDir = resumeFile.toAbsolutePath().getParent();
            }
            try {
                if (writes) {
                    RunDirectory.checkResumable(runDir, resumeFile, h);
                }
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        } else {
            validate();
            config = new TrainConfig(model.toLowerCase(Locale.ROOT), dataset, epochs, batch, lr, lrDecay,
                    optimizer.toLowerCase(Locale.ROOT), weightDecay, seed, limitTrain, dataParallel);
            if (runDir == null) {
                runDir = Path.of("runs", config.model() + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            }
        }
        if (writes) {
            checkOut(runDir);
        }
        if (writes && resumeFile == null && RunDirectory.holdsARun(runDir)) {
            throw usage("--out " + runDir + " already holds a run (metrics.csv or checkpoints); continue it with"
                    + " --resume " + runDir + ", or choose another --out");
        }
        DataSources data;
        try {
            data = DataSources.load(config.dataset(), config.model(), dataDir, config.limitTrain(), config.seed(),
                    resumeFile == null ? folder.options(config) : folderOptions);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (data.folders() != null) {
            out().println(data.folders().report());
        }
        if (data.train().size() < config.batch()) {
            data.close();
            throw usage("--batch " + config.batch() + " is larger than the training set (" + data.train().size()
                    + " items)");
        }
        try (DataSources sources = data;
             OpenBackends backends = new OpenBackends(Backends.openReplicas(device, config.dataParallel(), threads,
                     line -> out().println(line)));
             TrainingProgress progress = System.console() != null ? new ConsoleProgress(out())
                     : new PlainProgress(out(), 10)) {
            Trainer trainer = new Trainer(backends.list().get(0), config, data.train(), data.test(), runDir, progress)
                    .cudaGraph(CudaGraphMode.parse(cudaGraph)).dataOnDevice(placement).readEvery(readEvery);
            if (config.dataParallel() > 1) {
                trainer.dataParallel(backends.list());
            }
            if (group != null) {
                trainer.processes(group, TcpRendezvous.DEFAULT_TIMEOUT);
            }
            Trainer.Result r = trainer.run(resumeFile);
            int last = r.history().isEmpty() ? 0 : r.history().get(r.history().size() - 1).epoch();
            if (writes) {
                out().printf(Locale.ROOT, "test accuracy %.2f%% after epoch %d; run directory %s%n",
                        100 * r.testAccuracy(), last, r.runDir());
            } else {
                out().printf(Locale.ROOT, "rank %d trained to epoch %d; rank 0 evaluated and wrote the run directory%n",
                        group.rank(), last);
            }
        }
        return 0;
    }

    /**
     * --rank, --world and --rendezvous as one record, or null when none is given (a run of one process).
     *
     * @throws picocli.CommandLine.ParameterException some but not all given, or a value out of range
     */
    ProcessGroupOptions processGroup() {
        try {
            return ProcessGroupOptions.of(processGroup.rank, processGroup.world, processGroup.rendezvous);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /** The epochs a resumed run trains to: --epochs when given, else the run's own target. */
    private int resumeTarget(Path resumeFile, CheckpointHeader h) {
        if (!given("--epochs") && h.epochs() == 0) {
            throw usage(resumeFile + " was written before checkpoints recorded their run's --epochs; pass --epochs"
                    + " with the total to reach (it has completed " + h.epoch() + ")");
        }
        int target = given("--epochs") ? epochs : h.epochs();
        if (target <= h.epoch()) {
            throw usage(resumeFile + " has already completed " + h.epoch() + " epoch(s)"
                    + (given("--epochs") ? "" : ", its run's target") + "; pass --epochs with a larger total to"
                    + " train further");
        }
        return target;
    }

    private void checkOut(Path runDir) {
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw usage("--out " + runDir + " is a file; the run directory must be a directory (new or empty for a"
                    + " new run)");
        }
    }

    private void validate() {
        if (!Models.names().contains(model.toLowerCase(Locale.ROOT))) {
            throw usage("unknown --model '" + model + "'; known: " + String.join(", ", Models.names()));
        }
        if (!Optimizers.names().contains(optimizer.toLowerCase(Locale.ROOT))) {
            throw usage("unknown --optimizer '" + optimizer + "'; known: " + String.join(", ", Optimizers.names()));
        }
        if (!DataSources.isKnown(dataset)) {
            throw usage("unknown --dataset '" + dataset + "'; known: mnist, synthetic, folder:DIR");
        }
        if (!dataset.startsWith(DataSources.FOLDER) && (folder.testDir != null || folder.testSplit != 0)) {
            throw usage("--test-dir and --test-split are for --dataset folder:DIR");
        }
        if (epochs < 1) {
            throw usage("--epochs must be >= 1, got " + epochs);
        }
        if (batch < 1) {
            throw usage("--batch must be >= 1, got " + batch);
        }
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw usage("--lr must be a positive number, got " + lr);
        }
        if (!(lrDecay > 0 && lrDecay <= 1)) {
            throw usage("--lr-decay must lie in (0, 1], got " + lrDecay);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw usage("--weight-decay must be >= 0, got " + weightDecay);
        }
        if (limitTrain < 0) {
            throw usage("--limit-train must be >= 0, got " + limitTrain);
        }
        if (threads < 0) {
            throw usage("--threads must be >= 0, got " + threads);
        }
        checkDataParallel(batch, processGroup());
    }

    private void checkDataParallel(int batchSize, ProcessGroupOptions group) {
        if (dataParallel < 1) {
            throw usage("--data-parallel must be >= 1 (replicas of the network), got " + dataParallel);
        }
        if (group != null && (long) group.world() * dataParallel > batchSize) {
            throw usage("--world " + group.world() + " times --data-parallel " + dataParallel + " replicas need a"
                    + " (global) batch of at least " + group.world() * (long) dataParallel + " items, but the batch is "
                    + batchSize);
        }
        if (dataParallel > batchSize) {
            throw usage("--data-parallel " + dataParallel + " needs a batch of at least " + dataParallel + " items (each"
                    + " replica takes at least one of every batch), but the batch is " + batchSize);
        }
    }

    /** The replicas' backends, closed together. */
    private record OpenBackends(List<Backend> list) implements AutoCloseable {
        @Override
        public void close() {
            list.forEach(Backend::close);
        }
    }

    /** On resume the checkpoint decides; an explicit option that disagrees is a usage error. */
    private void checkNoConflict(CheckpointHeader h) {
        List<String> conflicts = new ArrayList<>();
        conflict(conflicts, "--model", model, h.model());
        conflict(conflicts, "--dataset", dataset, h.dataset());
        conflict(conflicts, "--batch", batch, h.batch());
        conflict(conflicts, "--lr", lr, h.lr());
        conflict(conflicts, "--lr-decay", lrDecay, h.lrDecay());
        conflict(conflicts, "--optimizer", optimizer, h.optimizer());
        conflict(conflicts, "--weight-decay", weightDecay, h.weightDecay());
        conflict(conflicts, "--seed", seed, h.seed());
        conflict(conflicts, "--limit-train", limitTrain, h.limitTrain());
        if (!conflicts.isEmpty()) {
            throw usage("--resume continues the checkpoint's run, which has " + String.join(", ", conflicts)
                    + "; leave these options out (or start a new run)");
        }
    }

    private void conflict(List<String> conflicts, String option, Object given, Object saved) {
        if (given(option) && !String.valueOf(given).equalsIgnoreCase(String.valueOf(saved))) {
            conflicts.add(option + " " + saved + " (not " + given + ")");
        }
    }

    /** The options of a run over several processes ({@link ProcessGroupOptions}). */
    static final class ProcessGroupArgs {
        @Option(names = "--rank", paramLabel = "R", description = "This process's rank, 0..W-1; rank 0 listens for the"
                + " others.")
        Integer rank;

        @Option(names = "--world", paramLabel = "W", description = "The number of processes (one per machine, each"
                + " driving its local GPUs).")
        Integer world;

        @Option(names = "--rendezvous", paramLabel = "HOST:PORT", description = "Where rank 0 listens: its host name or"
                + " address, and a free TCP port, the same in every process.")
        String rendezvous;
    }

    /** The image-folder options; the transform's defaults follow the model ({@link ImageTransform#defaults}). */
    static final class FolderArgs {
        @Option(names = "--test-dir", paramLabel = "DIR", description = "Test images, with the same class subfolders.")
        Path testDir;

        @Option(names = "--test-split", paramLabel = "F", defaultValue = "0",
                description = "Or test on a fraction F of each class, chosen from the seed.")
        double testSplit;

        @Option(names = "--resize", paramLabel = "N", description = "Resize the shorter side to N pixels before"
                + " cropping (0: no resizing). Default: 256 for AlexNet, the input side for LeNet-5.")
        Integer resize;

        @Option(names = "--random-crop", negatable = true, description = "Training crops at random positions"
                + " (--no-random-crop: centre). Default: on. Evaluation always crops the centre.")
        Boolean randomCrop;

        @Option(names = "--flip", negatable = true, description = "Flip half the training images left-right."
                + " Default: on for AlexNet, off for LeNet-5.")
        Boolean flip;

        @Option(names = "--mean", split = ",", paramLabel = "M", description = "Per-channel mean in [0, 1]."
                + " Default: ImageNet's (color), MNIST's 0.1307 (gray).")
        float[] mean;

        @Option(names = "--std", split = ",", paramLabel = "S", description = "Per-channel standard deviation."
                + " Default: ImageNet's (color), MNIST's 0.3081 (gray).")
        float[] std;

        @Option(names = "--loader-threads", paramLabel = "N", defaultValue = "0",
                description = "Threads decoding images (0: every processor).")
        int loaderThreads;

        DataSources.FolderOptions options(TrainConfig config) {
            if (!config.dataset().startsWith(DataSources.FOLDER)) {
                return null;
            }
            ImageTransform d = ImageTransform.defaults(Models.inputShape(config.model()));
            ImageTransform t = new ImageTransform(d.channels(), d.size(), resize != null ? resize : d.resize(),
                    randomCrop != null ? randomCrop : d.randomCrop(), flip != null ? flip : d.flip(),
                    mean != null ? mean : d.mean(), std != null ? std : d.std());
            return new DataSources.FolderOptions(testDir, testSplit, t, loaderThreads, java.util.Map.of());
        }
    }

    /** Model names for the help text. */
    static final class ModelNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        ModelNames() {
            super(Models.names());
        }
    }

    /** Optimizer names for the help text. */
    static final class OptimizerNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        OptimizerNames() {
            super(Optimizers.names());
        }
    }
}
