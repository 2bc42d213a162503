package org.convnet4j.backend.cpu;

import static org.convnet4j.backend.cpu.CpuTensor.floats;
import static org.convnet4j.backend.cpu.CpuTensor.ints;

import org.convnet4j.backend.RowGeometry;
import org.convnet4j.backend.SoftmaxLossOps;
import org.convnet4j.tensor.Tensor;

/**
 * The softmax loss family on the CPU: softmax with mean cross-entropy, its gradient, and argmax, one row
 * at a time on the calling thread. The log-sum-exp is taken in double, so logits of +-1000 give a finite
 * loss; a NaN logit makes its row's maximum NaN (Math.max propagates it), so the row's probabilities and
 * the loss are NaN. Arguments are checked by the backend (OpChecks) before they get here; label values
 * are checked here.
 */
final class CpuSoftmaxLoss implements SoftmaxLossOps {

    /** probs = softmax of each row of logits, loss[0] = -(1/N) * sum log probs[n, label[n]]. */
    @Override
    public void softmaxCrossEntropyForward(RowGeometry g, Tensor logits, Tensor labels, Tensor probs, Tensor loss) {
        int n = g.n();
        int k = g.k();
        int[] lab = ints(labels);
        checkLabels("softmaxCrossEntropyForward", lab, k);
        float[] z = floats(logits);
        float[] pv = floats(probs);
        double total = 0;
        for (int i = 0; i < n; i++) {
            int row = i * k;
            float max = z[row];
            for (int j = 1; j < k; j++) {
                max = Math.max(max, z[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp((double) z[row + j] - max);
            }
            for (int j = 0; j < k; j++) {
                pv[row + j] = (float) (Math.exp((double) z[row + j] - max) / sum);
            }
            // log p[label] = z[label] - max - log(sum): finite even when p[label] underflows to 0.
            total -= (double) z[row + lab[i]] - max - Math.log(sum);
        }
        floats(loss)[0] = (float) (total / n);
    }

    /** dlogits = (probs - onehot(labels)) / N. */
    @Override
    public void softmaxCrossEntropyBackward(RowGeometry g, Tensor probs, Tensor labels, Tensor dlogits) {
        int n = g.n();
        int k = g.k();
        int[] lab = ints(labels);
        checkLabels("softmaxCrossEntropyBackward", lab, k);
        float[] pv = floats(probs);
        float[] dv = floats(dlogits);
        float inv = 1f / n;
        for (int i = 0; i < n; i++) {
            int row = i * k;
            for (int j = 0; j < k; j++) {
                dv[row + j] = (pv[row + j] - (j == lab[i] ? 1f : 0f)) * inv;
            }
        }
    }

    private static void checkLabels(String op, int[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException(op + ": label " + i + " is " + labels[i] + ", outside [0, "
                        + classes + ")");
            }
        }
    }

    /** out[n] = index of the largest value in row n of x; ties go to the lowest index. */
    @Override
    public void argmax(RowGeometry g, Tensor x, Tensor out) {
        int n = g.n();
        int k = g.k();
        float[] xv = floats(x);
        int[] ov = ints(out);
        for (int i = 0; i < n; i++) {
            int row = i * k;
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (xv[row + j] > xv[row + best]) {
                    best = j;
                }
            }
            ov[i] = best;
        }
    }

    /** tallies[slot] = (loss[0] when given, the number of i &lt; count with predictions[i] == labels[i]). */
    @Override
    public void tallyBatch(Tensor predictions, Tensor labels, int count, Tensor loss, Tensor tallies, int slot) {
        int[] p = ints(predictions);
        int[] l = ints(labels);
        int matches = 0;
        for (int i = 0; i < count; i++) {
            if (p[i] == l[i]) {
                matches++;
            }
        }
        float[] t = floats(tallies);
        if (loss != null) {
            t[2 * slot] = floats(loss)[0];
        }
        t[2 * slot + 1] = matches;
    }
}
