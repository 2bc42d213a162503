package org.convnet4j.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.jr.ob.JSON;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.Backends;
import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.train.CudaGraphMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convnet4j bench}: times a whole network's training step and each layer's forward and backward
 * ({@link NetworkBenchmark}) and prints a table; {@code --json FILE} also writes the result for
 * {@code convnet4j report}. Exit code 0, or 1 when the device is unavailable or the batch does not fit.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Times a network's training step and each layer's forward and backward pass, on synthetic data.",
                "Per-layer times have a device synchronization around every call (like `caffe time`); "
                        + "the step time has none inside the step."})
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "lenet5", description = "lenet5, alexnet, caffenet, alexnet-owt, vgg11, vgg16,"
            + " resnet18, resnet34, resnet20 or googlenet (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--batch", description = "images per step (default: 64 for lenet5 and the VGGs, 128 for the AlexNets)")
    Integer batch;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, gpu or auto (the GPU when one works; default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--iterations", defaultValue = "10", description = "timed steps per phase (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--threads", description = "CPU backend threads (default: every processor)")
    Integer threads;

    @Option(names = "--seed", defaultValue = "42", description = "weights and synthetic data (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--copy-mib", description = "size of the device-to-device copy measured for bandwidth, MiB "
            + "(default: 256 on the GPU, 16 on the CPU; 0 skips it)")
    Integer copyMib;

    @Option(names = "--json", description = "also write the result as JSON to this file")
    Path json;

    @Mixin
    ConvAlgoOption convAlgo;

    @Option(names = "--cuda-graph", defaultValue = "auto", paramLabel = "auto|on|off",
            description = "also time the step replayed as one CUDA graph: auto (on the GPU, the reason where the"
                    + " capture fails), on (an error where it cannot), off (default: ${DEFAULT-VALUE})")
    String cudaGraph;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        convAlgo.apply();
        int n = batch != null ? batch : defaultBatch(model);
        NetworkBenchmark.Config config;
        try {
            config = new NetworkBenchmark.Config(model, n, iterations, warmup, seed, copyMib == null ? 0 : copyMib);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        CudaGraphMode graphMode;
        try {
            graphMode = CudaGraphMode.parse(cudaGraph);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        }
        Backend backend;
        try {
            backend = Backends.open(device, threads == null ? 0 : threads, line -> err.println("bench: " + line));
        } catch (BackendUnavailableException e) {
            err.println("bench: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--device: " + e.getMessage());
        }
        try (backend) {
            int copy = copyMib != null ? copyMib : (backend.name().equals("cpu") ? 16 : 256);
            config = new NetworkBenchmark.Config(config.model(), config.batch(), config.iterations(), config.warmup(),
                    config.seed(), copy);
            BenchResult result;
            try {
                result = NetworkBenchmark.run(backend, config, graphMode);
            } catch (BatchDoesNotFitException | IllegalArgumentException | IllegalStateException e) {
                err.println("bench: " + e.getMessage());
                return 1;
            }
            out.print(result.table());
            printConvAlgorithms(out, backend);
            if (json != null) {
                writeJson(result, json);
                out.println("wrote " + json);
            }
            out.flush();
            return 0;
        }
    }

    /** The algorithm each convolution pass ran, and why (the CPU backend: im2col, its only one). */
    static void printConvAlgorithms(PrintWriter out, Backend backend) {
        List<String> used = backend.convAlgorithmsUsed();
        if (used.isEmpty()) {
            out.println("convolution algorithm: " + ConvAlgorithms.IM2COL + " (the " + backend.name()
                    + " backend's only one)");
            return;
        }
        out.println("convolution algorithms (per distinct layer shape and pass):");
        for (String line : used) {
            out.println("  " + line);
        }
    }

    static int defaultBatch(String model) {
        String m = model == null ? "" : model.toLowerCase(Locale.ROOT);
        return m.equals("lenet5") || m.startsWith("vgg") ? 64 : 128;
    }

    /** Writes result.toJson(), pretty-printed, creating parent directories. */
    static void writeJson(BenchResult result, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(result.toJson()) + "\n");
    }
}
