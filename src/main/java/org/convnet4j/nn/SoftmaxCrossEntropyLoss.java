package org.convnet4j.nn;

import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Softmax followed by the mean cross-entropy, fused for numerical stability (as the book's
 * SoftmaxWithLoss):
 * <pre>
 *   p[n, k] = exp(z[n, k] - max_k z[n]) / sum_k' exp(z[n, k'] - max_k z[n])
 *   loss    = -(1/N) * sum_n log p[n, label[n]]
 *   dz      = (p - onehot(label)) / N
 * </pre>
 * Logits z [N, K] (any rank: flattened per item), labels INT32 [N] with values in [0, K). The probability,
 * loss and gradient tensors are owned by this object, allocated on first use per shape and reused.
 */
public final class SoftmaxCrossEntropyLoss implements AutoCloseable {
    private final Backend backend;
    private final float[] lossHost = new float[1];
    private Tensor probs;
    private Tensor loss;
    private Tensor dlogits;
    private Tensor dlogitsView;
    private Tensor labels;
    private Shape logitsShape;
    private boolean closed;

    public SoftmaxCrossEntropyLoss(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("softmax cross-entropy: backend must not be null");
        }
        this.backend = backend;
    }

    /** Computes the softmax and returns the mean loss (downloads one float). */
    public float forward(Tensor logits, Tensor labels) {
        backend.download(forwardOnDevice(logits, labels), lossHost);
        return lossHost[0];
    }

    /**
     * Computes the softmax and returns the mean loss as a device tensor [1] owned by this loss (overwritten
     * by the next forward), without reading it: a training step captured as a CUDA graph reads it after
     * the step, or adds it up on the device.
     */
    public Tensor forwardOnDevice(Tensor logits, Tensor labels) {
        checkOpen();
        if (logits == null || labels == null) {
            throw new IllegalArgumentException("softmax cross-entropy: logits and labels must not be null");
        }
        Shape z = logits.shape();
        if (labels.dataType() != DataType.INT32 || labels.shape().rank() != 1 || labels.shape().dim(0) != z.n()) {
            throw new IllegalArgumentException("softmax cross-entropy: labels must be INT32 [" + z.n()
                    + "] for logits " + z + ", got " + labels.dataType() + " " + labels.shape());
        }
        Shape p = Shape.of(z.n(), z.sizePerItem());
        if (probs == null || !probs.shape().equals(p)) {
            if (probs != null) {
                probs.close();
            }
            probs = backend.allocate(p);
        }
        if (loss == null) {
            loss = backend.allocate(Shape.of(1));
        }
        backend.softmaxCrossEntropyForward(logits, labels, probs, loss);
        this.labels = labels;
        this.logitsShape = z;
        return loss;
    }

    /** dlogits = (p - onehot(labels)) / N for the last forward, in the logits' shape; owned by this loss. */
    public Tensor backward() {
        checkOpen();
        if (logitsShape == null) {
            throw new IllegalStateException("softmax cross-entropy: backward before forward");
        }
        if (dlogits == null || !dlogits.shape().equals(probs.shape())) {
            if (dlogits != null) {
                dlogits.close();
            }
            dlogits = backend.allocate(probs.shape());
            dlogitsView = null;
        }
        backend.softmaxCrossEntropyBackward(probs, labels, dlogits);
        if (logitsShape.equals(dlogits.shape())) {
            return dlogits;
        }
        if (dlogitsView == null || !dlogitsView.shape().equals(logitsShape)) {
            dlogitsView = dlogits.reshape(logitsShape);
        }
        return dlogitsView;
    }

    /** The softmax probabilities [N, K] of the last forward. */
    public Tensor probabilities() {
        checkOpen();
        if (probs == null) {
            throw new IllegalStateException("softmax cross-entropy: probabilities before forward");
        }
        return probs;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("softmax cross-entropy used after close");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Tensor t : new Tensor[] {probs, loss, dlogits}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
