package org.convnet4j.bench;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.Cudnn;
import org.convnet4j.backend.cuda.GemmVariants;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What every op-family benchmark ({@code <Family>Benchmark}) shares: where a trial runs, why it is
 * skipped, the tensors it allocates and closes, and JMH's settings (average time per call in ms, 2 warm-up
 * and 5 measured iterations of 200 ms, one fork).
 *
 * <p>Where a trial runs, from the {@code device} and {@code tiny} parameters:
 * <ul>
 *   <li>{@code gpu}: the CUDA backend on device 0, or a skip with the reason it does not open;</li>
 *   <li>{@code cpu}: a new CPU backend for the trial;</li>
 *   <li>{@code auto} (the default): the GPU when it opens; otherwise the CPU at tiny sizes
 *       ({@code -p tiny=true}, how CI runs the harness), and a skip at full size (AlexNet's layers take
 *       seconds per call on the CPU).</li>
 * </ul>
 * The CUDA backend (whose description, printed once, names the card), cuDNN and the GEMM variants are
 * opened once per JVM and kept (a JMH fork, or the whole run with {@code -f 0}); CPU backends are per trial.
 *
 * <p>JMH has no way to skip a benchmark: a trial that cannot run (no GPU, no cuDNN, an op cuDNN lacks)
 * prints one line, {@code # skipped Class.method {params}: reason}, and each of its calls returns at once
 * after counting one in {@link Skips} (JMH's JSON shows it as the secondary metric "skipped"; the report
 * leaves such results out and says why). A benchmark method is one line, {@code measure(skips, () -> op)}:
 * {@link #measure} runs the op and waits for the device, or counts the skip.
 *
 * <p>Throughput is not computed here: the report divides the byte or FLOP count of
 * {@link KernelWorkloads} (each class's comment gives it) by the time and prints it beside the time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
public abstract class OpBenchmark {
    private static CudaBackend cuda;
    private static String cudaUnavailable;
    private static Cudnn cudnn;
    private static GemmVariants gemms;

    @Param({"auto"})
    public String device;

    @Param({"false"})
    public boolean tiny;

    /** The trial's backend; null when the trial is skipped. */
    protected Backend backend;
    private boolean gpu;
    private String skipReason;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    /** Counts the calls of skipped trials (the "skipped" secondary metric). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Skips {
        /** Calls that did nothing because the trial is skipped. */
        public long skipped;
    }

    @Setup(Level.Trial)
    public final void openTrial(BenchmarkParams params) {
        String full = params.getBenchmark(); // org.convnet4j.bench.PoolingBenchmark.forward
        String method = full.substring(full.lastIndexOf('.') + 1);
        skipReason = null;
        gpu = false;
        backend = null;
        Backend b = open();
        if (skipReason == null) {
            gpu = b instanceof CudaBackend;
            if (!gpu) {
                resources.push(b);
            }
            skipReason = skipReason(method);
        }
        if (skipReason != null) {
            StringJoiner shown = new StringJoiner(", ");
            for (String key : params.getParamsKeys()) {
                if (!key.equals("device") && !key.equals("tiny")) {
                    shown.add(key + "=" + params.getParam(key));
                }
            }
            System.out.println("# skipped " + full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1)
                    + " {" + shown + "}: " + skipReason);
            return;
        }
        backend = b;
        setup(method);
        backend.synchronize();
    }

    /** The trial's backend per {@code device} and {@code tiny}, or null with skipReason set. */
    private Backend open() {
        switch (device.toLowerCase(Locale.ROOT)) {
            case "cpu":
                return new CpuBackend();
            case "gpu":
                if (cuda() == null) {
                    skipReason = "no GPU: " + cudaUnavailable;
                }
                return cuda;
            case "auto":
                if (cuda() != null) {
                    return cuda;
                }
                if (tiny) {
                    return new CpuBackend();
                }
                skipReason = "no GPU (" + cudaUnavailable + "); full-size shapes run only on a GPU or with "
                        + "-p device=cpu; CI runs -p tiny=true";
                return null;
            default:
                throw new IllegalArgumentException("device must be gpu, cpu or auto, got '" + device + "'");
        }
    }

    /** Why this trial cannot run on the opened backend (cuDNN, a GPU-only implementation...), or null. */
    protected String skipReason(String method) {
        return null;
    }

    /** Allocates and fills the trial's tensors on {@link #backend}; called once per trial that runs. */
    protected abstract void setup(String method);

    /**
     * One measured call: op, then a device synchronization, so that the time is the op's, launch to finish.
     * In a skipped trial op does not run and the call counts in skips.
     */
    protected final void measure(Skips skips, Runnable op) {
        if (skipReason != null) {
            skips.skipped++;
            return;
        }
        op.run();
        backend.synchronize();
    }

    /** Whether the trial runs on the shared CUDA backend. */
    protected final boolean gpu() {
        return gpu;
    }

    /** Closes r at the end of the trial (in reverse order of keeping, before the trial's CPU backend). */
    protected final <T extends AutoCloseable> T keep(T r) {
        resources.push(r);
        return r;
    }

    /** A float tensor of uniform values in [-1, 1) from seed, closed at the end of the trial. */
    protected final Tensor random(Shape shape, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return keep(backend.tensor(shape, v));
    }

    /** A zero float tensor, closed at the end of the trial. */
    protected final Tensor zeros(Shape shape) {
        return keep(backend.allocate(shape));
    }

    /** A zero int32 tensor, closed at the end of the trial. */
    protected final Tensor intZeros(Shape shape) {
        return keep(backend.allocate(shape, DataType.INT32));
    }

    @TearDown(Level.Trial)
    public final void closeTrial() throws Exception {
        while (!resources.isEmpty()) {
            resources.pop().close();
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

    /** Why cuDNN cannot run in this trial, or null. */
    protected final String cudnnUnavailable() {
        return gpu ? Cudnn.unavailableReason() : "cuDNN needs a GPU (this trial runs on the CPU)";
    }

    /** Shared cuDNN on the shared CUDA backend (check {@link #cudnnUnavailable()} first). */
    protected static synchronized Cudnn cudnn() {
        if (cudnn == null) {
            cudnn = Cudnn.open(cuda);
            System.out.println("# cuDNN " + cudnn.version());
        }
        return cudnn;
    }

    /** Every SGEMM variant, opened once on the shared CUDA backend. */
    protected static synchronized GemmVariants gemms() {
        if (gemms == null) {
            gemms = GemmVariants.open(cuda);
        }
        return gemms;
    }
}
