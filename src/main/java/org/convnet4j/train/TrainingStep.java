package org.convnet4j.train;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.nn.Dropout;
import org.convnet4j.nn.Layer;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.tensor.Tensor;

/**
 * One training step on batch tensors that already hold the batch: forward (training mode), the softmax
 * cross-entropy loss left on the device, the gradients zeroed, backward, the optimizer's update. It reads
 * nothing back and allocates nothing after its first run, so on the CUDA backend it can be captured and
 * replayed as one graph (org.convnet4j.backend.cuda.CudaGraphStep); read {@link #loss()} and
 * {@link #logits()} after it.
 */
public final class TrainingStep implements Runnable {
    private final Network net;
    private final SoftmaxCrossEntropyLoss loss;
    private final Optimizer optimizer;
    private final Tensor images;
    private final Tensor labels;
    private final List<Dropout> dropouts = new ArrayList<>();
    private Tensor logits;
    private Tensor lossValue;

    /** images [N, ...] and labels INT32 [N] are read by every run; refill them between runs. */
    public TrainingStep(Network net, SoftmaxCrossEntropyLoss loss, Optimizer optimizer, Tensor images,
                        Tensor labels) {
        this.net = net;
        this.loss = loss;
        this.optimizer = optimizer;
        this.images = images;
        this.labels = labels;
        collectDropouts(net);
    }

    /**
     * Sets every dropout layer's forward counter in layer (a network: recursively) to forwards: each training
     * forward advances it once, one forward per optimizer step, so a restored or rewound network sets it to
     * the optimizer's step count.
     */
    static void setDropoutCounters(Layer layer, long forwards) {
        if (layer instanceof Dropout d) {
            d.setForwardCount(forwards);
        } else if (layer instanceof Network n) {
            for (Layer l : n.layers()) {
                setDropoutCounters(l, forwards);
            }
        }
    }

    private void collectDropouts(Layer layer) {
        if (layer instanceof Dropout d) {
            dropouts.add(d);
        } else if (layer instanceof Network n) {
            for (Layer l : n.layers()) {
                collectDropouts(l);
            }
        }
    }

    @Override
    public void run() {
        logits = net.forward(images, true);
        lossValue = loss.forwardOnDevice(logits, labels);
        net.zeroGrad();
        net.backward(loss.backward(), false);
        optimizer.step(net.parameters());
    }

    /** The last step's mean loss, a device tensor [1] (read it after the step). */
    public Tensor loss() {
        return lossValue;
    }

    /** The last step's logits [N, classes], computed before the update. */
    public Tensor logits() {
        return logits;
    }

    /**
     * Saves the host counters a step advances (the optimizer's step count, each dropout layer's forward
     * count) and returns what puts them back: the savepoint of a graph capture, which runs the step's host
     * side without computing it.
     */
    public Runnable savepoint() {
        int steps = optimizer.steps();
        long[] forwards = dropouts.stream().mapToLong(Dropout::forwardCount).toArray();
        return () -> {
            optimizer.restoreSteps(steps);
            for (int i = 0; i < forwards.length; i++) {
                dropouts.get(i).setForwardCount(forwards[i]);
            }
        };
    }
}
