package org.convnet4j.backend.cuda;

import java.util.function.Supplier;

/**
 * A training step replayed as one CUDA graph. The first {@link #run()} runs the step eagerly (a warm-up: its
 * layers, loss, optimizer and workspaces allocate what they need); the second captures it on the backend's
 * stream (cuStreamBeginCapture ... cuStreamEndCapture, cuGraphInstantiate) and launches the graph; every
 * later run replays the graph with one cuGraphLaunch.
 *
 * <p>The step is plain Java calling the backend; while a graph replays it, the step still runs on the host
 * with the backend's device work switched off ({@link GraphPhase}): so the layers' and the optimizer's
 * host counters advance exactly as in eager training, and the scalars that change per step (learning rate,
 * Adam's step, dropout seeds: {@link StepScalars}) are written to the device ahead of the graph. The
 * sequence of kernels and GEMMs of each replayed step is checked against the captured one.
 *
 * <p>A step that is captured must not allocate device memory (every buffer exists after the warm-up, and
 * the pool refuses, naming the caller), upload, download or synchronize (each throws, naming it): read the
 * loss from the device after the step. When the capture fails, the host state the step advanced is put
 * back through the savepoint, the reason is kept ({@link #fallbackReason()}) and printed, and this step and
 * all later ones run eagerly; with {@code required} the failure is thrown instead.
 */
public final class CudaGraphStep implements AutoCloseable {
    private final CudaBackend backend;
    private final Runnable step;
    private final Supplier<Runnable> savepoint;
    private final boolean required;
    private DeviceOps.Graph graph;
    private String fallbackReason;
    private long fingerprint;
    private int ops;
    private long runs;
    private boolean closed;

    private CudaGraphStep(CudaBackend backend, Runnable step, Supplier<Runnable> savepoint, boolean required) {
        this.backend = backend;
        this.step = step;
        this.savepoint = savepoint;
        this.required = required;
    }

    /**
     * @param step      one whole training step on backend's tensors (same shapes every time)
     * @param savepoint called before the capture: saves the host state the step advances (the optimizer's
     *                  step count, dropout layers' counters) and returns what puts it back, run when the
     *                  capture fails so that the step can run again eagerly
     * @param required  throw when the capture fails (--cuda-graph on) instead of running eagerly (auto)
     */
    public static CudaGraphStep of(CudaBackend backend, Runnable step, Supplier<Runnable> savepoint,
                                   boolean required) {
        if (backend == null || step == null || savepoint == null) {
            throw new IllegalArgumentException("CudaGraphStep: backend, step and savepoint must not be null");
        }
        return new CudaGraphStep(backend, step, savepoint, required);
    }

    /** Runs one step: eagerly, captured, or replayed (see the class comment). */
    public void run() {
        if (closed) {
            throw new IllegalStateException("CUDA graph step used after close");
        }
        runs++;
        if (runs == 1 || fallbackReason != null) {
            step.run();
        } else if (graph == null) {
            capture();
        } else {
            replay();
        }
    }

    /** Whether the steps now run as a graph (false before the capture and after a failed one). */
    public boolean graphed() {
        return graph != null;
    }

    /** Why the capture failed and the steps run eagerly, or null. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** Kernels, GEMMs and copies in the captured graph (0 before the capture). */
    public int ops() {
        return ops;
    }

    private void capture() {
        DeviceOps device = backend.device();
        GraphPhase phase = backend.phase();
        backend.synchronize(); // the warm-up is done: nothing on the stream reads the per-step scalars now
        Runnable restore = savepoint.get();
        RuntimeException failure = null;
        DeviceOps.Graph captured = null;
        boolean begun = false;
        phase.enter(GraphPhase.Mode.CAPTURING);
        backend.pool().refuseAcquire("CUDA graph capture");
        try {
            device.beginCapture();
            begun = true;
            step.run();
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            backend.pool().refuseAcquire(null);
            fingerprint = phase.fingerprint();
            ops = phase.ops();
            phase.enter(GraphPhase.Mode.EAGER);
        }
        if (begun) {
            try {
                captured = device.endCapture();
            } catch (RuntimeException e) {
                failure = failure != null ? failure : e;
            }
        }
        backend.scalars().endCapture(failure == null);
        if (failure == null) {
            graph = captured;
            graph.launch();
            return;
        }
        if (captured != null) {
            captured.close();
        }
        ops = 0;
        restore.run();
        fallbackReason = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        if (required) {
            throw new IllegalStateException("CUDA graph capture of the training step failed: " + fallbackReason,
                    failure);
        }
        System.out.println("CUDA graph: capture failed, running eagerly: " + fallbackReason);
        step.run();
    }

    private void replay() {
        GraphPhase phase = backend.phase();
        phase.enter(GraphPhase.Mode.REPLAYING);
        backend.pool().refuseAcquire("CUDA graph replay");
        long replayed;
        int replayedOps;
        try {
            step.run();
        } finally {
            backend.pool().refuseAcquire(null);
            replayed = phase.fingerprint();
            replayedOps = phase.ops();
            phase.enter(GraphPhase.Mode.EAGER);
        }
        if (replayed != fingerprint || replayedOps != ops) {
            throw new IllegalStateException("this step is not the captured one: " + replayedOps
                    + " kernels, GEMMs and copies now, " + ops + " captured, or other grids or sizes (a new batch"
                    + " size needs a graph of its own, or an eager step)");
        }
        graph.launch();
    }

    /** Destroys the graph (the backend and its tensors stay). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (graph != null) {
                graph.close();
                graph = null;
            }
        }
    }
}
