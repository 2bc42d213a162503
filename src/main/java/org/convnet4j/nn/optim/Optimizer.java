package org.convnet4j.nn.optim;

import java.util.List;
import java.util.Map;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Tensor;

/**
 * Updates trainable parameters in place from their gradients. Non-trainable parameters (state such as
 * batch normalization's running statistics) are skipped. Gradients are left as they are: zero them
 * before the next backward.
 *
 * <p>Per-parameter state (velocities, squared-gradient sums, Adam's moments) lives on the optimizer's
 * backend, allocated on the first step that sees each parameter and keyed by the parameter's name; it is
 * freed by {@link #close}.
 */
public interface Optimizer extends AutoCloseable {

    /** The name {@link Optimizers#create} knows it by: "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam". */
    String name();

    /** One update of every trainable parameter from its gradient; counts one step. */
    void step(List<Parameter> parameters);

    /** Updates done so far (Adam's t). */
    int steps();

    /**
     * The optimizer's state tensors keyed "&lt;parameter name&gt;.&lt;slot&gt;" (slots: "velocity",
     * "sum_squares", "mean_square", "m", "v"), in the order parameters were first seen. Empty for SGD and
     * before the first step. Restore a checkpoint by copying into these tensors, then {@link #restoreSteps}.
     */
    Map<String, Tensor> state();

    /** Sets the step count after state tensors were restored from a checkpoint. */
    void restoreSteps(int steps);

    /** The learning rate used by the next step. */
    float learningRate();

    /** Changes the learning rate for the following steps (learning-rate schedules). */
    void setLearningRate(float lr);

    /** Frees the state tensors; idempotent; use afterwards throws IllegalStateException. */
    @Override
    void close();
}
