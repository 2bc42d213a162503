package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.DropoutMask;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Activations, softmax cross-entropy, argmax and dropout: CUDA against the CPU. */
class ElementwiseOpsTest extends NativeOpTest {
    private static final Shape ACTIVATION = Shape.of(3, 7, 5, 11);

    private static Tolerance forwardTolerance(Activation f) {
        return f == Activation.RELU ? Tolerance.EXACT : Tolerance.TRANSCENDENTAL;
    }

    private static Tolerance backwardTolerance(Activation f) {
        return f == Activation.RELU ? Tolerance.EXACT : Tolerance.ELEMENTWISE;
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationForward(Activation f) {
        Twin x = both.uniform(ACTIVATION, -3, 3);
        Twin y = both.output(ACTIVATION);
        both.cpu.activationForward(f, x.cpu(), y.cpu());
        both.gpu.activationForward(f, x.gpu(), y.gpu());
        both.check("activationForward " + f + " y", y, forwardTolerance(f));

        both.cpu.activationForward(f, x.cpu(), x.cpu()); // y may be x
        both.gpu.activationForward(f, x.gpu(), x.gpu());
        both.check("activationForward " + f + " in place", x, forwardTolerance(f));
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationBackward(Activation f) {
        Twin x = both.uniform(ACTIVATION, -3, 3);
        Twin yc = both.output(ACTIVATION);
        both.cpu.activationForward(f, x.cpu(), yc.cpu());
        Twin y = both.values(ACTIVATION, both.cpuValues(yc)); // the same forward output on both sides
        Twin dy = both.uniform(ACTIVATION);
        Twin dx = both.output(ACTIVATION);
        both.cpu.activationBackward(f, y.cpu(), dy.cpu(), dx.cpu());
        both.gpu.activationBackward(f, y.gpu(), dy.gpu(), dx.gpu());
        both.check("activationBackward " + f + " dx", dx, backwardTolerance(f));

        both.cpu.activationBackward(f, y.cpu(), dy.cpu(), dy.cpu()); // dx may be dy
        both.gpu.activationBackward(f, y.gpu(), dy.gpu(), dy.gpu());
        both.check("activationBackward " + f + " in place", dy, backwardTolerance(f));
    }

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

    @ParameterizedTest(name = "p={0} seed={1}")
    @CsvSource({"0, 1", "0.3, 12345", "0.5, -6148914691236517206", "0.9, 42"})
    void dropout(float p, long seed) {
        Shape s = Shape.of(4, 33, 7, 9);
        Twin x = both.uniform(s);
        Twin mask = both.output(s);
        Twin y = both.output(s);
        both.cpu.dropoutForward(x.cpu(), p, seed, mask.cpu(), y.cpu());
        both.gpu.dropoutForward(x.gpu(), p, seed, mask.gpu(), y.gpu());
        float[] cm = both.cpuValues(mask);
        float[] gm = NativeBackends.fakeDevice() ? cm : both.gpuValues(mask); // the fake computes nothing
        int kept = 0;
        for (int i = 0; i < cm.length; i++) {
            float oracle = DropoutMask.value(seed, i, p);
            if (Float.floatToRawIntBits(gm[i]) != Float.floatToRawIntBits(oracle)
                    || Float.floatToRawIntBits(cm[i]) != Float.floatToRawIntBits(oracle)) {
                fail("dropout mask p=" + p + " seed=" + seed + " element " + i + ": DropoutMask.value " + oracle
                        + ", cpu " + cm[i] + ", gpu " + gm[i] + " (must be bit-identical)");
            }
            kept += gm[i] != 0 ? 1 : 0;
        }
        System.out.printf("%-60s BITS OK, mask bit-identical, kept %d of %d (p = %s)%n",
                "dropoutForward mask " + s, kept, gm.length, p);
        both.check("dropoutForward y", y, Tolerance.EXACT);

        Twin m = both.values(s, cm);
        Twin dy = both.uniform(s);
        Twin dx = both.output(s);
        both.cpu.dropoutBackward(dy.cpu(), m.cpu(), dx.cpu());
        both.gpu.dropoutBackward(dy.gpu(), m.gpu(), dx.gpu());
        both.check("dropoutBackward dx", dx, Tolerance.EXACT);
        both.cpu.dropoutBackward(dy.cpu(), m.cpu(), dy.cpu()); // dx may be dy
        both.gpu.dropoutBackward(dy.gpu(), m.gpu(), dy.gpu());
        both.check("dropoutBackward in place", dy, Tolerance.EXACT);
    }
}
