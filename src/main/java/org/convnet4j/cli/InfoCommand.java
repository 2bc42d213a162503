package org.convnet4j.cli;

import java.util.List;
import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cpu.CpuGemm;
import org.convnet4j.backend.cuda.CudaInfo;
import org.convnet4j.backend.cuda.NcclInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convnet4j info}: the JDK, the CPU backend and what CUDA offers here; exits 0 without a GPU. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the Java runtime, the CPU backend, and the CUDA driver, devices, kernel image and GEMM"
                + " providers, and NCCL (library, version, GPUs), each with the reason when it is not available.")
final class InfoCommand extends BaseCommand {
    @Option(names = "--threads", defaultValue = "0", description = "CPU backend threads (0: every processor).")
    int threads;

    @Override
    public Integer call() {
        var out = out();
        out.println("convnet4j " + VersionProvider.version());
        out.println("java: " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.vm.name") + "), " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " processors, max heap "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
        try (CpuBackend cpu = threads > 0 ? new CpuBackend(threads) : new CpuBackend()) {
            out.println("cpu backend: " + cpu.description());
        }
        out.println("cpu gemm: " + CpuGemm.describeDefault());
        List<String> cuda;
        try {
            cuda = CudaInfo.report();
        } catch (RuntimeException | LinkageError e) {
            cuda = List.of("CUDA: cannot be queried: " + e);
        }
        for (String line : cuda) {
            out.println("cuda: " + line);
        }
        List<String> nccl;
        try {
            nccl = NcclInfo.report();
        } catch (RuntimeException | LinkageError e) {
            nccl = List.of("cannot be queried: " + e);
        }
        for (String line : nccl) {
            out.println("nccl: " + line);
        }
        out.println("conv algorithms (--conv-algo, -D" + ConvAlgorithms.PROPERTY + "; now "
                + System.getProperty(ConvAlgorithms.PROPERTY, ConvAlgorithms.AUTO) + "):");
        out.println("  " + ConvAlgorithms.AUTO + ": on the GPU, time the applicable deterministic ones once per layer"
                + " shape and pass, keep the fastest; the CPU backend runs " + ConvAlgorithms.IM2COL);
        for (ConvAlgorithms.Algorithm a : ConvAlgorithms.ALGORITHMS) {
            out.println("  " + a.name() + ": " + a.description());
        }
        out.flush();
        return 0;
    }
}
