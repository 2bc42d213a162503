package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;
import static org.convnet4j.testing.Assertions.assertFinite;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** Softmax cross-entropy (probabilities, mean loss, gradient) argmax against their formulas; the per-batch tally. */
class CpuSoftmaxLossTest extends CpuFamilyTest {
    @Test
    void softmaxCrossEntropyMatchesFormula() {
        int n = 5;
        int k = 7;
        float[] z = RandomTensors.uniform(40, n * k, -3f, 3f);
        int[] labels = RandomTensors.ints(41, n, k);
        double[] probs = new double[n * k];
        double[] grad = new double[n * k];
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(z[i * k + j]);
            }
            for (int j = 0; j < k; j++) {
                probs[i * k + j] = Math.exp(z[i * k + j]) / sum;
                grad[i * k + j] = (probs[i * k + j] - (j == labels[i] ? 1 : 0)) / n;
            }
            loss -= Math.log(probs[i * k + labels[i]]);
        }
        loss /= n;
        try (Tensor tz = cpu.tensor(Shape.of(n, k), z); Tensor tl = cpu.intTensor(Shape.of(n), labels);
             Tensor tp = cpu.allocate(Shape.of(n, k)); Tensor tloss = cpu.allocate(Shape.of(1));
             Tensor td = cpu.allocate(Shape.of(n, k))) {
            cpu.softmaxCrossEntropyForward(tz, tl, tp, tloss);
            assertClose(probs, cpu.toFloatArray(tp), 1e-6, 1e-5, "softmax probs");
            assertClose(new double[] {loss}, cpu.toFloatArray(tloss), 1e-6, 1e-5, "cross-entropy loss");
            cpu.softmaxCrossEntropyBackward(tp, tl, td);
            assertClose(grad, cpu.toFloatArray(td), 1e-6, 1e-5, "softmax gradient");
        }
    }

    /** Logits of +-1000 overflow a naive exp; the stable form gives a finite loss and gradient. */
    @Test
    void extremeLogitsStayFinite() {
        float[] z = {1000, -1000, 0, -1000, 1000, 0};
        int[] labels = {1, 1};
        try (Tensor tz = cpu.tensor(Shape.of(2, 3), z); Tensor tl = cpu.intTensor(Shape.of(2), labels);
             Tensor tp = cpu.allocate(Shape.of(2, 3)); Tensor tloss = cpu.allocate(Shape.of(1));
             Tensor td = cpu.allocate(Shape.of(2, 3))) {
            cpu.softmaxCrossEntropyForward(tz, tl, tp, tloss);
            float[] loss = cpu.toFloatArray(tloss);
            assertFinite(loss, "loss");
            // item 0: label logit -1000 against max 1000: -log p = 2000; item 1: label is the max: 0.
            assertEquals(1000f, loss[0], 1e-3f);
            cpu.softmaxCrossEntropyBackward(tp, tl, td);
            float[] g = cpu.toFloatArray(td);
            assertFinite(g, "gradient");
            assertClose(new float[] {0.5f, -0.5f, 0, 0, 0, 0}, g, 1e-6, 0, "extreme gradient");
        }
    }

    /**
     * A NaN logit makes its row's probabilities NaN and so the mean loss NaN (nothing hides it); the other
     * rows' probabilities stay finite and sum to 1.
     */
    @Test
    void nanLogitGivesNanLoss() {
        float[] z = {0.5f, Float.NaN, -1, 1, 2, 3};
        int[] labels = {0, 2};
        try (Tensor tz = cpu.tensor(Shape.of(2, 3), z); Tensor tl = cpu.intTensor(Shape.of(2), labels);
             Tensor tp = cpu.allocate(Shape.of(2, 3)); Tensor tloss = cpu.allocate(Shape.of(1))) {
            cpu.softmaxCrossEntropyForward(tz, tl, tp, tloss);
            assertTrue(Float.isNaN(cpu.toFloatArray(tloss)[0]), "loss of a batch with a NaN logit");
            float[] p = cpu.toFloatArray(tp);
            for (int j = 0; j < 3; j++) {
                assertTrue(Float.isNaN(p[j]), "row 0 probability " + j + " is " + p[j]);
            }
            float[] row1 = {p[3], p[4], p[5]};
            assertFinite(row1, "row 1 probabilities");
            assertEquals(1f, row1[0] + row1[1] + row1[2], 1e-6f);
        }
    }

    @Test
    void labelOutOfRangeIsRejected() {
        try (Tensor tz = cpu.allocate(Shape.of(2, 3)); Tensor tl = cpu.intTensor(Shape.of(2), new int[] {0, 3});
             Tensor tp = cpu.allocate(Shape.of(2, 3)); Tensor tloss = cpu.allocate(Shape.of(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cpu.softmaxCrossEntropyForward(tz, tl, tp, tloss));
            assertTrue(e.getMessage().contains("softmaxCrossEntropyForward") && e.getMessage().contains("3"),
                    e.getMessage());
        }
    }

    @Test
    void argmaxTiesGoToTheLowestIndex() {
        float[] x = {1, 3, 3, 0, -1, -2, -1, -5, 2, 2, 2, 2};
        try (Tensor tx = cpu.tensor(Shape.of(3, 4), x); Tensor out = cpu.allocate(Shape.of(3), DataType.INT32)) {
            cpu.argmax(tx, out);
            assertArrayEquals(new int[] {1, 0, 0}, cpu.toIntArray(out));
        }
    }

    /** tallyBatch: the matches among the first count items and the loss in the slot, the other slots untouched. */
    @Test
    void tallyBatchCountsMatchesAndCopiesTheLoss() {
        try (Tensor pred = cpu.intTensor(Shape.of(5), new int[] {1, 2, 3, 4, 5});
             Tensor labels = cpu.intTensor(Shape.of(5), new int[] {1, 0, 3, 4, 5});
             Tensor loss = cpu.tensor(Shape.of(1), new float[] {Float.NaN});
             Tensor tallies = cpu.tensor(Shape.of(3, 2), new float[] {7, 7, 7, 7, 7, 7})) {
            cpu.tallyBatch(pred, labels, 4, loss, tallies, 1);
            assertArrayEquals(new float[] {7, 7, Float.NaN, 3, 7, 7}, cpu.toFloatArray(tallies));
            cpu.tallyBatch(pred, labels, 5, null, tallies, 2);
            assertArrayEquals(new float[] {7, 7, Float.NaN, 3, 7, 4}, cpu.toFloatArray(tallies));
        }
    }
}
