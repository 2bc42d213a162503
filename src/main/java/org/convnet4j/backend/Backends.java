package org.convnet4j.backend;

import java.util.Locale;
import java.util.function.Consumer;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;

/**
 * Opens a backend by the name the command line uses: "cpu", "gpu" (or "cuda"), or "auto" (the GPU when
 * the CUDA backend opens, else the CPU).
 */
public final class Backends {
    private Backends() {
    }

    /** As {@link #open(String, int, Consumer)}, reporting the choice on standard error. */
    public static Backend open(String device, int threads) {
        return open(device, threads, System.err::println);
    }

    /**
     * Opens the backend device names. threads is the CPU backend's thread count (0 or less: every processor).
     * For "auto", log gets one line saying which backend was chosen and why.
     *
     * @throws BackendUnavailableException for "gpu" when the CUDA backend cannot be used, with its reason
     * @throws IllegalArgumentException    for an unknown device name
     */
    public static Backend open(String device, int threads, Consumer<String> log) {
        String d = device == null ? "auto" : device.toLowerCase(Locale.ROOT);
        switch (d) {
            case "cpu":
                return cpu(threads);
            case "gpu":
            case "cuda":
                try {
                    return CudaBackend.open();
                } catch (BackendUnavailableException e) {
                    throw new BackendUnavailableException("--device gpu: no usable GPU: " + e.getMessage()
                            + ". Use --device cpu (or auto, which falls back to the CPU); `convnet4j info` says more.", e);
                } catch (RuntimeException | LinkageError e) {
                    throw new BackendUnavailableException("--device gpu: the CUDA backend failed to start: " + e
                            + ". Use --device cpu (or auto); `convnet4j info` says more.", e);
                }
            case "auto":
                try {
                    CudaBackend gpu = CudaBackend.open();
                    log.accept("device: gpu (" + gpu.description() + ")");
                    return gpu;
                } catch (RuntimeException | LinkageError e) {
                    Backend cpu = cpu(threads);
                    log.accept("device: cpu, because no GPU can be used (" + e.getMessage() + ")");
                    return cpu;
                }
            default:
                throw new IllegalArgumentException("unknown device '" + device + "'; use auto, cpu or gpu");
        }
    }

    private static Backend cpu(int threads) {
        return threads > 0 ? new CpuBackend(threads) : new CpuBackend();
    }
}
