package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.fail;

import org.convnet4j.backend.DropoutMask;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Dropout forward (the mask bit-identical to DropoutMask) and backward: CUDA against the CPU. */
class DropoutOpsTest extends NativeOpTest {

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
