package org.convnet4j.train;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.Backend;
import org.convnet4j.data.Dataset;
import org.convnet4j.distributed.AllReduce;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;

/**
 * What the native tests need from inside the train package (it lives in the native-tests source root, in
 * the same package): LeNet-5 trained for some steps the plain way ({@link TrainingStep}, as the trainer's
 * one network) and as a {@link DataParallelStep} over the replicas of an all-reduce, on the same batches.
 */
public final class DataParallelTestAccess {
    private DataParallelTestAccess() {
    }

    /** Each step's loss, and every parameter's values after the last step. */
    public record Run(float[] losses, List<float[]> parameters) {
    }

    /** steps plain steps of LeNet-5 (config's optimizer, lr and seed) on backend, batches in epoch 1's order. */
    public static Run plain(Backend backend, TrainConfig config, Dataset data, int steps) {
        int batch = config.batch();
        try (Network net = Models.create(config.model(), data.numClasses());
             SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(backend);
             Optimizer optimizer = Optimizers.create(config.optimizer(), backend, config.lr(), config.weightDecay());
             BatchLoader batches = new BatchLoader(backend, data, batch)) {
            net.initialize(backend, Models.batchInputShape(config.model(), batch), config.seed());
            TrainingStep step = new TrainingStep(net, loss, optimizer, batches.images(), batches.labels());
            batches.order(1, EpochOrder.permutation(config.seed(), 1, data.size()));
            float[] losses = new float[steps];
            for (int s = 0; s < steps; s++) {
                batches.load(s * batch);
                step.run();
                losses[s] = backend.toFloatArray(step.loss())[0];
            }
            return new Run(losses, values(backend, net.parameters()));
        }
    }

    /** The same steps as a DataParallelStep over allReduce's replicas (replica r on backends.get(r)). */
    public static Run parallel(List<Backend> backends, AllReduce allReduce, TrainConfig config, Dataset data,
                               int steps) {
        int batch = config.batch();
        try (DataParallelStep parallel = DataParallelStep.create(config, data.numClasses(), backends, allReduce,
                (b, items) -> new BatchLoader(b, data, items), steps)) {
            parallel.broadcastFromReplica0();
            parallel.order(1, EpochOrder.permutation(config.seed(), 1, data.size()));
            for (int s = 0; s < steps; s++) {
                parallel.run(s * batch, s);
            }
            parallel.tallies().read(steps, true);
            float[] losses = new float[steps];
            for (int s = 0; s < steps; s++) {
                losses[s] = parallel.tallies().loss(s);
            }
            Network net = parallel.replica(0).net();
            return new Run(losses, values(net.backend(), net.parameters()));
        }
    }

    private static List<float[]> values(Backend backend, List<Parameter> params) {
        List<float[]> v = new ArrayList<>();
        for (Parameter p : params) {
            v.add(backend.toFloatArray(p.value()));
        }
        return v;
    }
}
