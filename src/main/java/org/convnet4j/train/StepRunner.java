package org.convnet4j.train;

import java.util.function.Consumer;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaGraphStep;

/**
 * Runs the trainer's {@link TrainingStep} as a CUDA graph (see {@link CudaGraphMode}): the first step eager,
 * the second captured, the rest replayed. Null from {@link #create} when steps run eagerly.
 */
final class StepRunner implements AutoCloseable {
    private final TrainingStep step;
    private final CudaGraphStep graph;
    private final Consumer<String> info;
    private boolean announced;

    private StepRunner(TrainingStep step, CudaGraphStep graph, Consumer<String> info) {
        this.step = step;
        this.graph = graph;
        this.info = info;
    }

    /**
     * A runner replaying step as a graph, or null for eager steps (mode OFF, or AUTO on another backend).
     *
     * @throws IllegalArgumentException mode ON on a backend other than CUDA
     */
    static StepRunner create(CudaGraphMode mode, Backend backend, TrainingStep step, Consumer<String> info) {
        if (mode == CudaGraphMode.OFF || (mode == CudaGraphMode.AUTO && !(backend instanceof CudaBackend))) {
            return null;
        }
        if (!(backend instanceof CudaBackend cuda)) {
            throw new IllegalArgumentException("--cuda-graph on needs the CUDA backend, not " + backend.name());
        }
        return new StepRunner(step, CudaGraphStep.of(cuda, step, step::savepoint, mode == CudaGraphMode.ON), info);
    }

    /** The step run: read its loss and logits after {@link #run}. */
    TrainingStep step() {
        return step;
    }

    /** One training step: eager, captured or replayed. */
    void run() {
        graph.run();
        if (!announced && (graph.graphed() || graph.fallbackReason() != null)) {
            announced = true;
            info.accept(graph.graphed()
                    ? "CUDA graph: the training step is captured (" + graph.ops()
                    + " kernels, GEMMs and copies) and replayed with one launch per step."
                    : "CUDA graph: capture failed, steps run eagerly: " + graph.fallbackReason());
        }
    }

    @Override
    public void close() {
        graph.close();
    }
}
