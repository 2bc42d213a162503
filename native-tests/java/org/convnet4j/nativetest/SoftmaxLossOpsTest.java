package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.Arrays;

import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Softmax cross-entropy forward and backward (also with NaN logits) argmax and the per-batch tally: CUDA against the CPU. */
class SoftmaxLossOpsTest extends NativeOpTest {

    @ParameterizedTest(name = "logits={0} range={1}")
    // 128x1000: AlexNet's loss (more classes than threads per row); 70000x3: more rows than the
    // 65536 blocks of one launch, so the row kernel's block-stride loop runs
    @CsvSource({"37x10, 5", "6x3x2x2, 5", "1x1000, 3", "64x10, 80", "5x2, 0", "128x1000, 10", "70000x3, 5"})
    void softmaxCrossEntropy(String dims, float range) {
        Shape s = Shapes.parse(dims);
        int k = s.sizePerItem();
        Twin logits = both.uniform(s, -range, range);
        Twin labels = both.labels(Shape.of(s.n()), k);
        Twin probs = both.output(s);
        Twin loss = both.output(Shape.of(1));
        both.cpu.softmaxCrossEntropyForward(logits.cpu(), labels.cpu(), probs.cpu(), loss.cpu());
        both.gpu.softmaxCrossEntropyForward(logits.gpu(), labels.gpu(), probs.gpu(), loss.gpu());
        both.check("softmaxCrossEntropyForward probs", probs, Tolerance.TRANSCENDENTAL);
        both.check("softmaxCrossEntropyForward loss", loss, Tolerance.TRANSCENDENTAL);

        Twin p = both.values(s, both.cpuValues(probs)); // the same probabilities on both sides
        Twin dlogits = both.output(s);
        both.cpu.softmaxCrossEntropyBackward(p.cpu(), labels.cpu(), dlogits.cpu());
        both.gpu.softmaxCrossEntropyBackward(p.gpu(), labels.gpu(), dlogits.gpu());
        both.check("softmaxCrossEntropyBackward dlogits", dlogits, Tolerance.ELEMENTWISE);
    }

    @Test
    void softmaxLabelOutOfRangeGivesNanLossOnTheGpu() {
        assumeFalse(NativeBackends.isDryRun(), "needs the GPU computing");
        Twin logits = both.uniform(Shape.of(4, 6));
        Twin labels = both.ints(Shape.of(4), new int[] {0, 5, 6, 2}); // 6 is out of [0, 6)
        Twin probs = both.output(Shape.of(4, 6));
        Twin loss = both.output(Shape.of(1));
        both.gpu.fill(loss.gpu(), 0f);
        both.gpu.softmaxCrossEntropyForward(logits.gpu(), labels.gpu(), probs.gpu(), loss.gpu());
        float l = both.gpuValues(loss)[0];
        assertTrue(Float.isNaN(l), "the contract: the CUDA kernel writes NaN into loss for a bad label, got " + l);
        System.out.println("softmaxCrossEntropyForward label out of range: GPU loss = NaN, as documented");
    }

    @ParameterizedTest(name = "x={0} levels={1}")
    @CsvSource({"50x13, 0", "50x13, 3", "1x1, 0", "7x1000, 2", "300x10, 0"})
    void argmax(String dims, int levels) {
        Shape s = Shapes.parse(dims);
        Twin x;
        if (levels == 0) {
            x = both.uniform(s);
        } else { // few distinct values: many ties, which go to the lowest index
            float[] v = new float[s.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = both.random().nextInt(levels);
            }
            x = both.values(s, v);
        }
        Twin out = both.intOutput(Shape.of(s.n()));
        both.cpu.argmax(x.cpu(), out.cpu());
        both.gpu.argmax(x.gpu(), out.gpu());
        both.checkInts("argmax" + (levels > 0 ? " with ties" : ""), out);
    }

    /** tallyBatch: the count among the first items and the copied loss, bit for bit as the CPU's. */
    @ParameterizedTest(name = "batch={0} count={1}")
    @CsvSource({"64, 64", "601, 590", "16, 0"})
    void tallyBatch(int batch, int count) {
        Twin labels = both.labels(Shape.of(batch), 3);
        Twin predictions = both.labels(Shape.of(batch), 3); // about a third of them match
        Twin loss = both.uniform(Shape.of(1));
        Twin tallies = both.values(Shape.of(4, 2), new float[] {7, 7, 7, 7, 7, 7, 7, 7});
        both.cpu.tallyBatch(predictions.cpu(), labels.cpu(), count, loss.cpu(), tallies.cpu(), 1);
        both.gpu.tallyBatch(predictions.gpu(), labels.gpu(), count, loss.gpu(), tallies.gpu(), 1);
        both.cpu.tallyBatch(predictions.cpu(), labels.cpu(), count / 2, null, tallies.cpu(), 3);
        both.gpu.tallyBatch(predictions.gpu(), labels.gpu(), count / 2, null, tallies.gpu(), 3);
        both.check("tallyBatch", tallies, Tolerance.EXACT);
    }

    /**
     * NaN logits (PyTorch's rule): a row holding one has NaN probabilities, so the mean loss is NaN, and its
     * gradient row is NaN; the other rows stay numbers. Row 1's NaN is at its label, row 4's elsewhere; the
     * 300-class rows are longer than a block.
     */
    @ParameterizedTest(name = "logits={0}")
    @CsvSource({"6x10", "6x300"})
    void nanLogits(String dims) {
        Shape s = Shapes.parse(dims);
        int k = s.sizePerItem();
        int[] lab = new int[s.n()];
        for (int i = 0; i < lab.length; i++) {
            lab[i] = both.random().nextInt(k);
        }
        float[] z = new float[s.size()];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (10 * both.random().nextDouble() - 5);
        }
        z[k + lab[1]] = Float.NaN;
        z[4 * k + (lab[4] + 1) % k] = Float.NaN;
        boolean[] nanRows = new boolean[z.length];
        Arrays.fill(nanRows, k, 2 * k, true);
        Arrays.fill(nanRows, 4 * k, 5 * k, true);
        Twin logits = both.values(s, z);
        Twin labels = both.ints(Shape.of(s.n()), lab);
        Twin probs = both.output(s);
        Twin loss = both.output(Shape.of(1));
        both.cpu.softmaxCrossEntropyForward(logits.cpu(), labels.cpu(), probs.cpu(), loss.cpu());
        both.gpu.softmaxCrossEntropyForward(logits.gpu(), labels.gpu(), probs.gpu(), loss.gpu());
        both.checkNaNAt("softmaxCrossEntropyForward probs, NaN logits", probs, nanRows, Tolerance.TRANSCENDENTAL);
        both.checkNaNAt("softmaxCrossEntropyForward loss, NaN logits", loss, new boolean[] {true}, Tolerance.EXACT);

        Twin p = both.values(s, both.cpuValues(probs)); // the same probabilities on both sides
        Twin dlogits = both.output(s);
        both.cpu.softmaxCrossEntropyBackward(p.cpu(), labels.cpu(), dlogits.cpu());
        both.gpu.softmaxCrossEntropyBackward(p.gpu(), labels.gpu(), dlogits.gpu());
        both.checkNaNAt("softmaxCrossEntropyBackward dlogits, NaN rows", dlogits, nanRows, Tolerance.ELEMENTWISE);
    }
}
