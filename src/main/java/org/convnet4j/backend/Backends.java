package org.convnet4j.backend;

import java.util.ArrayList;
import java.util.List;
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

    /**
     * The backends of n data-parallel replicas: n CPU backends sharing threads (0 or less: every processor)
     * between them, threads / n each (at least 1), so the replicas, which run at once, do not oversubscribe
     * the cores; or, when device opens the CUDA backend, devices 0 .. n-1, one each. n = 1 is
     * {@link #open(String, int, Consumer)}. On failure the backends already opened are closed.
     *
     * @throws BackendUnavailableException a GPU replica's device cannot be opened (fewer than n devices)
     */
    public static List<Backend> openReplicas(String device, int n, int threads, Consumer<String> log) {
        if (n == 1) {
            return List.of(open(device, threads, log));
        }
        int each = Math.max(1, (threads > 0 ? threads : Runtime.getRuntime().availableProcessors()) / n);
        List<Backend> opened = new ArrayList<>();
        try {
            opened.add(open(device, each, log));
            for (int i = 1; i < n; i++) {
                opened.add(opened.get(0) instanceof CudaBackend ? gpu(i, n) : cpu(each));
            }
            return List.copyOf(opened);
        } catch (RuntimeException | LinkageError e) {
            opened.forEach(Backend::close);
            throw e;
        }
    }

    private static Backend gpu(int device, int n) {
        try {
            return CudaBackend.open(device);
        } catch (RuntimeException | LinkageError e) {
            throw new BackendUnavailableException("--data-parallel " + n + " on the GPU needs " + n + " devices, one"
                    + " per replica; device " + device + " cannot be opened: " + e.getMessage() + ". Use fewer replicas, or"
                    + " --device cpu for CPU replicas", e);
        }
    }

    private static Backend cpu(int threads) {
        return threads > 0 ? new CpuBackend(threads) : new CpuBackend();
    }
}
