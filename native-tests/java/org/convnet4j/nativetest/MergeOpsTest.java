package org.convnet4j.nativetest;

import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;

/**
 * The merge family, CUDA against the CPU: the residual sum (also in place, and with NaN), and the strided
 * channel copy as an inception module uses it, four branches concatenated into one tensor and its gradient
 * split back, outputs poisoned with NaN first (a value left unwritten shows).
 */
class MergeOpsTest extends NativeOpTest {
    private static final Shape RESIDUAL = Shape.of(3, 16, 9, 9);

    @Test
    void add() {
        float[] av = new float[RESIDUAL.size()];
        boolean[] nan = new boolean[av.length];
        for (int i = 0; i < av.length; i++) {
            nan[i] = i % 97 == 5;
            av[i] = nan[i] ? Float.NaN : (float) (2 * both.random().nextDouble() - 1);
        }
        Twin a = both.values(RESIDUAL, av);
        Twin b = both.uniform(RESIDUAL);
        Twin y = both.output(RESIDUAL);
        both.cpu.add(a.cpu(), b.cpu(), y.cpu());
        both.gpu.add(a.gpu(), b.gpu(), y.gpu());
        both.checkNaNAt("add y", y, nan, Tolerance.EXACT);
        both.cpu.add(b.cpu(), a.cpu(), b.cpu()); // y may be an input
        both.gpu.add(b.gpu(), a.gpu(), b.gpu());
        both.checkNaNAt("add in place", b, nan, Tolerance.EXACT);
    }

    @Test
    void concatenateAndSplit() {
        int[] widths = {64, 96, 16, 32};
        int total = 208;
        Twin[] branches = new Twin[widths.length];
        Twin y = both.output(Shape.of(2, total, 7, 7));
        int offset = 0;
        for (int i = 0; i < widths.length; i++) {
            branches[i] = both.uniform(Shape.of(2, widths[i], 7, 7));
            both.cpu.copyChannels(branches[i].cpu(), 0, y.cpu(), offset, widths[i]);
            both.gpu.copyChannels(branches[i].gpu(), 0, y.gpu(), offset, widths[i]);
            offset += widths[i];
        }
        both.check("copyChannels concatenation", y, Tolerance.EXACT);
        offset = 0;
        for (int i = 0; i < widths.length; i++) {
            Twin back = both.output(Shape.of(2, widths[i], 7, 7));
            both.cpu.copyChannels(y.cpu(), offset, back.cpu(), 0, widths[i]);
            both.gpu.copyChannels(y.gpu(), offset, back.gpu(), 0, widths[i]);
            both.check("copyChannels split, branch " + i, back, Tolerance.EXACT);
            offset += widths[i];
        }
    }
}
