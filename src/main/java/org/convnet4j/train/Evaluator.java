package org.convnet4j.train;

import java.util.function.Consumer;

import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.nn.Network;

/**
 * Test-set accuracy: a forward pass in inference mode over every item, batch after batch in
 * {@link BatchSource#evaluationOrder} (the last batch padded), the argmax and the count of correct
 * predictions on the backend ({@link BatchTally}), read once at the end. On the CUDA backend the forward
 * and argmax replay as one graph where the trainer's steps do ({@code --cuda-graph}).
 */
public final class Evaluator implements AutoCloseable {
    private final int size;
    private final int batch;
    private final BatchSource source;
    private final BatchTally tally;
    private final StepRunner step;

    /**
     * @param source the test set's batches, of batch items, reading {@link BatchSource#evaluationOrder}
     * @param mode   whether the forward replays as a CUDA graph
     */
    Evaluator(Backend backend, Network net, int size, BatchSource source, int batch, CudaGraphMode mode,
              Consumer<String> info) {
        this.size = size;
        this.batch = batch;
        this.source = source;
        this.tally = new BatchTally(backend, batches(), batch);
        this.step = StepRunner.create(mode, backend, () -> tally.predict(net.forward(source.images(), false)),
                () -> () -> { }, "the evaluation step", info);
        source.order(0, BatchSource.evaluationOrder(size, batch));
    }

    /** The fraction of data's items that net classifies correctly: eager steps, batches of batch from the host. */
    public static double accuracy(Backend backend, Network net, Dataset data, int batch) {
        try (Evaluator e = new Evaluator(backend, net, data.size(), new BatchLoader(backend, data, batch), batch,
                CudaGraphMode.OFF, line -> { })) {
            return e.accuracy();
        }
    }

    /** Where the test items are, for the trainer's start message. */
    String describe() {
        return source.describe();
    }

    private int batches() {
        return (size + batch - 1) / batch;
    }

    /** The fraction of the test items that net classifies correctly now. */
    double accuracy() {
        int batches = batches();
        for (int b = 0; b < batches; b++) {
            source.load(b * batch);
            step.run();
            tally.record(source.labels(), Math.min(batch, size - b * batch), null, b);
        }
        tally.read(batches, true);
        long correct = 0;
        for (int b = 0; b < batches; b++) {
            correct += tally.correct(b);
        }
        return correct / (double) size;
    }

    @Override
    public void close() {
        step.close();
        tally.close();
        source.close();
    }
}
