package org.convnet4j.train;

import java.util.function.Consumer;
import java.util.function.Supplier;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaGraphStep;

/**
 * Runs a step of the trainer (its {@link TrainingStep}, or an evaluation's forward and argmax) eagerly or as
 * a CUDA graph (see {@link CudaGraphMode}): as a graph the first run is eager, the second captured, the rest
 * replayed.
 */
final class StepRunner implements AutoCloseable {
    private final Runnable step;
    private final CudaGraphStep graph;
    private final String what;
    private final Consumer<String> info;
    private boolean announced;

    private StepRunner(Runnable step, CudaGraphStep graph, String what, Consumer<String> info) {
        this.step = step;
        this.graph = graph;
        this.what = what;
        this.info = info;
    }

    /**
     * A runner of step: eager with mode OFF, or AUTO on another backend than CUDA; else a graph.
     *
     * @param savepoint saves the host counters step advances and returns what puts them back (see
     *                  {@link CudaGraphStep#of})
     * @param what      the step, for the line that says it was captured ("the training step")
     * @throws IllegalArgumentException mode ON on a backend other than CUDA
     */
    static StepRunner create(CudaGraphMode mode, Backend backend, Runnable step, Supplier<Runnable> savepoint,
                             String what, Consumer<String> info) {
        if (mode == CudaGraphMode.OFF || (mode == CudaGraphMode.AUTO && !(backend instanceof CudaBackend))) {
            return new StepRunner(step, null, what, info);
        }
        if (!(backend instanceof CudaBackend cuda)) {
            throw new IllegalArgumentException("--cuda-graph on needs the CUDA backend, not " + backend.name());
        }
        return new StepRunner(step, CudaGraphStep.of(cuda, step, savepoint, mode == CudaGraphMode.ON), what, info);
    }

    /** One step: eager, captured or replayed. */
    void run() {
        if (graph == null) {
            step.run();
            return;
        }
        graph.run();
        if (!announced && (graph.graphed() || graph.fallbackReason() != null)) {
            announced = true;
            info.accept(graph.graphed()
                    ? "CUDA graph: " + what + " is captured (" + graph.ops()
                    + " kernels, GEMMs and copies) and replayed with one launch per step."
                    : "CUDA graph: capture of " + what + " failed, it runs eagerly: " + graph.fallbackReason());
        }
    }

    @Override
    public void close() {
        if (graph != null) {
            graph.close();
        }
    }
}
