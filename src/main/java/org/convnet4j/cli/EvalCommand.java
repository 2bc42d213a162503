package org.convnet4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.Backends;
import org.convnet4j.bench.ConvAlgoOption;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.MnistFiles;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Network;
import org.convnet4j.train.Checkpoint;
import org.convnet4j.train.CheckpointHeader;
import org.convnet4j.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code convnet4j eval}: the test accuracy of a checkpoint's model. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a checkpoint on the test set of the data set it was trained on.")
final class EvalCommand extends BaseCommand {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A checkpoint-epoch-NNN.ckpt file.")
    Path checkpoint;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the MNIST IDX files are. Default: data/mnist.")
    Path dataDir = MnistFiles.DEFAULT_DIR;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "CPU backend threads (0: every processor).")
    int threads;

    @Option(names = "--batch", defaultValue = "256", description = "Evaluation batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Mixin
    ConvAlgoOption convAlgo;

    @Override
    public Integer call() {
        convAlgo.apply();
        if (batch < 1) {
            throw usage("--batch must be >= 1, got " + batch);
        }
        Checkpoint ckpt = Checkpoint.read(checkpoint);
        CheckpointHeader h = ckpt.header();
        DataSources sources;
        try {
            sources = DataSources.test(h.dataset(), h.model(), dataDir, h.limitTrain(), h.seed(), h.data());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Dataset test = sources.test();
        long start = System.nanoTime();
        try (DataSources closing = sources;
             Backend backend = Backends.open(device, threads, line -> out().println(line));
             Network net = Models.create(h.model(), h.numClasses())) {
            net.initialize(backend, Models.batchInputShape(h.model(), batch), h.seed());
            ckpt.restoreParameters(checkpoint, h.model(), net.parameters(), backend);
            double accuracy = Evaluator.accuracy(backend, net, test, batch);
            out().printf(Locale.ROOT, "test accuracy %.4f (%d of %d %s items correct); %s after epoch %d; %.1f s on %s%n",
                    accuracy, Math.round(accuracy * test.size()), test.size(), test.name(), h.model(), h.epoch(),
                    (System.nanoTime() - start) / 1e9, backend.name());
        }
        return 0;
    }
}
