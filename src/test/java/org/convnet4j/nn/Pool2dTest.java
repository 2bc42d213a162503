package org.convnet4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The pooling layer: builder and factories, and both modes on one worked example. */
class Pool2dTest {

    @Test
    void factoriesAndBuilderGiveTheSameLayer() {
        Pool2d max = Pool2d.max("p", 3, 2);
        Pool2d built = Pool2d.builder().name("p").mode(Pool2d.Mode.MAX).kernel(3).stride(2).build();
        assertEquals(Pool2d.Mode.MAX, max.mode());
        assertEquals(PoolSpec.of(3, 2), max.spec());
        assertEquals(built.spec(), max.spec());
        assertEquals(Pool2d.Mode.AVG, Pool2d.avg("a", 2, 1).mode());
        Pool2d full = Pool2d.builder().name("f").mode(Pool2d.Mode.AVG).kernel(3, 2).pad(1, 0)
                .rounding(OutputRounding.FLOOR).build();
        assertEquals(new PoolSpec(3, 2, 3, 2, 1, 0, OutputRounding.FLOOR), full.spec(), "stride defaults to the kernel");
    }

    @Test
    void builderNamesWhatIsMissingOrWrong() {
        IllegalArgumentException noMode = assertThrows(IllegalArgumentException.class,
                () -> Pool2d.builder().name("pool1").kernel(2).build());
        assertTrue(noMode.getMessage().contains("pool1") && noMode.getMessage().contains("mode"), noMode.getMessage());
        IllegalArgumentException noName = assertThrows(IllegalArgumentException.class,
                () -> Pool2d.builder().mode(Pool2d.Mode.MAX).kernel(2).build());
        assertTrue(noName.getMessage().contains("name"), noName.getMessage());
        IllegalArgumentException noKernel = assertThrows(IllegalArgumentException.class,
                () -> Pool2d.builder().name("pool1").mode(Pool2d.Mode.AVG).build());
        assertTrue(noKernel.getMessage().contains("kernel must be >= 1"), noKernel.getMessage());
        IllegalArgumentException badPad = assertThrows(IllegalArgumentException.class,
                () -> Pool2d.builder().name("pool1").mode(Pool2d.Mode.MAX).kernel(2).pad(2).build());
        assertTrue(badPad.getMessage().startsWith("Pool2d pool1: "), badPad.getMessage());
    }

    /** The same 4x4 input through both modes: max keeps switches and routes dy; average spreads dy / 4. */
    @Test
    void bothModesForwardAndBackward() {
        float[] x = {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4};
        float[] dy = {4, 8, 12, 16};
        try (CpuBackend backend = new CpuBackend(1); Pool2d max = Pool2d.max("max", 2, 2);
             Pool2d avg = Pool2d.avg("avg", 2, 2);
             Tensor tx = backend.tensor(Shape.of(1, 1, 4, 4), x); Tensor tdy = backend.tensor(Shape.of(1, 1, 2, 2), dy)) {
            max.initialize(backend, tx.shape(), new Random(0));
            avg.initialize(backend, tx.shape(), new Random(0));
            assertArrayEquals(new float[] {6, 8, 3, 4}, backend.toFloatArray(max.forward(tx, true)));
            assertArrayEquals(new int[] {5, 7, 8, 15}, backend.toIntArray(max.switches()));
            float[] dxMax = new float[16];
            dxMax[5] = 4;
            dxMax[7] = 8;
            dxMax[8] = 12;
            dxMax[15] = 16;
            assertArrayEquals(dxMax, backend.toFloatArray(max.backward(tdy)));

            assertArrayEquals(new float[] {13 / 4f, 21 / 4f, 8 / 4f, 8 / 4f}, backend.toFloatArray(avg.forward(tx, true)));
            assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4},
                    backend.toFloatArray(avg.backward(tdy)));
            IllegalStateException e = assertThrows(IllegalStateException.class, avg::switches);
            assertTrue(e.getMessage().contains("only max pooling has switches"), e.getMessage());
        }
    }
}
