package org.convnet4j.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.Cudnn;
import org.convnet4j.backend.cuda.GemmVariants;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Where a JMH benchmark runs, chosen from its {@code device} and {@code tiny} parameters:
 * <ul>
 *   <li>{@code gpu}: the CUDA backend on device 0, or a skip with the reason it does not open;</li>
 *   <li>{@code cpu}: a new CPU backend for the trial;</li>
 *   <li>{@code auto} (the default): the GPU when it opens; otherwise the CPU at tiny sizes
 *       ({@code -p tiny=true}, how CI runs the harness), and a skip at full size (AlexNet's layers take
 *       seconds per call on the CPU).</li>
 * </ul>
 * The CUDA backend, cuDNN and the GEMM variants are opened once per JVM and kept (a JMH fork, or the
 * whole run with {@code -f 0}); CPU backends are per trial and closed by {@link Trial#close()}.
 */
final class BenchDevice {
    private static CudaBackend cuda;
    private static String cudaUnavailable;
    private static Cudnn cudnn;
    private static GemmVariants gemms;

    private BenchDevice() {
    }

    /**
     * A benchmark trial's backend, or why the trial is skipped (backend null).
     *
     * @param gpu true when backend is the CUDA backend
     */
    record Trial(Backend backend, boolean gpu, String skipReason) implements AutoCloseable {
        boolean skipped() {
            return skipReason != null;
        }

        /** Closes a CPU backend; the shared CUDA backend stays open for the next trial. */
        @Override
        public void close() {
            if (backend != null && !gpu) {
                backend.close();
            }
        }
    }

    static Trial open(String device, boolean tiny) {
        String d = device.toLowerCase(Locale.ROOT);
        switch (d) {
            case "cpu":
                return new Trial(new CpuBackend(), false, null);
            case "gpu":
                return cuda() != null ? new Trial(cuda, true, null)
                        : new Trial(null, false, "no GPU: " + cudaUnavailable);
            case "auto":
                if (cuda() != null) {
                    return new Trial(cuda, true, null);
                }
                if (tiny) {
                    return new Trial(new CpuBackend(), false, null);
                }
                return new Trial(null, false, "no GPU (" + cudaUnavailable + "); full-size shapes run only on a GPU "
                        + "or with -p device=cpu; CI runs -p tiny=true");
            default:
                throw new IllegalArgumentException("device must be gpu, cpu or auto, got '" + device + "'");
        }
    }

    /** The shared CUDA backend, or null (cudaUnavailable says why). */
    private static synchronized CudaBackend cuda() {
        if (cuda == null && cudaUnavailable == null) {
            try {
                cuda = CudaBackend.open();
                System.out.println("# convnet4j: " + cuda.description());
            } catch (BackendUnavailableException e) {
                cudaUnavailable = e.getMessage();
            } catch (LinkageError e) {
                cudaUnavailable = e.getClass().getSimpleName() + ": "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            }
        }
        return cuda;
    }

    /** Shared cuDNN on the shared CUDA backend, or BackendUnavailableException with the reason. */
    static synchronized Cudnn cudnn() {
        if (cudnn == null) {
            cudnn = Cudnn.open(cuda);
            System.out.println("# cuDNN " + cudnn.version());
        }
        return cudnn;
    }

    /** Why cuDNN cannot run in a trial, or null. */
    static String cudnnUnavailable(Trial trial) {
        if (!trial.gpu()) {
            return "cuDNN needs a GPU (this trial runs on the CPU)";
        }
        return Cudnn.unavailableReason();
    }

    /** Every SGEMM variant, opened once on the shared CUDA backend. */
    static synchronized GemmVariants gemms() {
        if (gemms == null) {
            gemms = GemmVariants.open(cuda);
        }
        return gemms;
    }

    /** A tensor of uniform values in [-1, 1) from seed. */
    static Tensor random(Backend backend, Shape shape, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return backend.tensor(shape, v);
    }

    /** Prints the one line that says a trial is skipped and why. */
    static void skip(String benchmark, String params, String reason) {
        System.out.println("# skipped " + benchmark + " {" + params + "}: " + reason);
    }

    /** "forward" from "org.convnet4j.bench.ConvBenchmark.forward". */
    static String method(String benchmark) {
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }
}
