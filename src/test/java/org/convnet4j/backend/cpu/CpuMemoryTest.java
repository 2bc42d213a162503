package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** The memory ops: allocate, upload, download, fill, copy, gather and the deferred download, for float and int tensors. */
class CpuMemoryTest extends CpuFamilyTest {

    @Test
    void allocateGivesZeros() {
        try (Tensor f = cpu.allocate(Shape.of(3, 5)); Tensor i = cpu.allocate(Shape.of(7), DataType.INT32)) {
            assertArrayEquals(new float[15], cpu.toFloatArray(f));
            assertArrayEquals(new int[7], cpu.toIntArray(i));
        }
    }

    /** Upload then download gives back every bit (NaN, -0, infinities included); a second upload overwrites. */
    @Test
    void uploadAndDownloadRoundTripEveryBit() {
        float[] special = {Float.NaN, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 1.5f};
        float[] random = RandomTensors.uniform(90, special.length);
        int[] ints = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE};
        try (Tensor f = cpu.allocate(Shape.of(2, 3)); Tensor i = cpu.allocate(Shape.of(5), DataType.INT32)) {
            cpu.upload(special, f);
            float[] back = new float[special.length];
            cpu.download(f, back);
            assertBitIdentical(special, back, "float round trip");
            cpu.upload(random, f);
            assertBitIdentical(random, cpu.toFloatArray(f), "second upload");
            cpu.upload(ints, i);
            int[] intsBack = new int[ints.length];
            cpu.download(i, intsBack);
            assertArrayEquals(ints, intsBack);
        }
    }

    @Test
    void hostArrayOfTheWrongLengthIsRejected() {
        try (Tensor f = cpu.allocate(Shape.of(2, 3)); Tensor i = cpu.allocate(Shape.of(4), DataType.INT32)) {
            IllegalArgumentException up = assertThrows(IllegalArgumentException.class,
                    () -> cpu.upload(new float[5], f));
            assertTrue(up.getMessage().contains("upload") && up.getMessage().contains("5")
                    && up.getMessage().contains("[2, 3]"), up.getMessage());
            IllegalArgumentException down = assertThrows(IllegalArgumentException.class,
                    () -> cpu.download(i, new int[3]));
            assertTrue(down.getMessage().contains("download") && down.getMessage().contains("3")
                    && down.getMessage().contains("[4]"), down.getMessage());
        }
    }

    /** fill writes every element, on a tensor large enough for the multithreaded paths of other ops. */
    @Test
    void fillWritesEveryElement() {
        Shape s = Shape.of(4, 8, 32, 40);
        float[] expected = new float[s.size()];
        try (Tensor t = cpu.tensor(s, RandomTensors.uniform(91, s.size()))) {
            for (float v : new float[] {3.25f, -0f, Float.NaN}) {
                cpu.fill(t, v);
                Arrays.fill(expected, v);
                assertBitIdentical(expected, cpu.toFloatArray(t), "fill " + v);
            }
        }
    }

    /**
     * copy needs the same size and data type, not the same shape; it copies values (later writes to the
     * source do not reach the copy) and leaves the source as it was.
     */
    @Test
    void copyCopiesValuesAcrossShapesOfTheSameSize() {
        float[] x = RandomTensors.uniform(92, 6);
        int[] labels = {3, 1, 4, 1, 5, 9};
        try (Tensor src = cpu.tensor(Shape.of(2, 3), x); Tensor dst = cpu.allocate(Shape.of(6));
             Tensor isrc = cpu.intTensor(Shape.of(6), labels); Tensor idst = cpu.allocate(Shape.of(3, 2), DataType.INT32)) {
            cpu.copy(src, dst);
            assertBitIdentical(x, cpu.toFloatArray(dst), "float copy");
            assertBitIdentical(x, cpu.toFloatArray(src), "source after copy");
            cpu.fill(src, 0f);
            assertBitIdentical(x, cpu.toFloatArray(dst), "copy after the source changed");
            cpu.copy(isrc, idst);
            assertArrayEquals(labels, cpu.toIntArray(idst));
        }
    }

    /** gatherRows copies the rows the order names, bit for bit (NaN too), floats and ints; a bad row is named. */
    @Test
    void gatherRowsFollowsTheOrder() {
        float[] images = RandomTensors.uniform(91, 6 * 4);
        images[5] = Float.NaN;
        int[] labels = {10, 11, 12, 13, 14, 15};
        int[] order = {5, 1, 0, 4, 2, 3};
        try (Tensor src = cpu.tensor(Shape.of(6, 1, 2, 2), images); Tensor srcLabels = cpu.intTensor(Shape.of(6), labels);
             Tensor ord = cpu.intTensor(Shape.of(6), order); Tensor x = cpu.allocate(Shape.of(3, 1, 2, 2));
             Tensor y = cpu.allocate(Shape.of(3), DataType.INT32)) {
            cpu.gatherRows(src, ord, 2, x);
            cpu.gatherRows(srcLabels, ord, 2, y);
            float[] want = new float[12];
            for (int i = 0; i < 3; i++) {
                System.arraycopy(images, order[2 + i] * 4, want, i * 4, 4);
            }
            assertBitIdentical(want, cpu.toFloatArray(x), "rows 0, 4, 2");
            assertArrayEquals(new int[] {10, 14, 12}, cpu.toIntArray(y));
            cpu.upload(new int[] {5, 1, 0, 6, 2, 3}, ord);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.gatherRows(src, ord, 2, x));
            assertTrue(e.getMessage().contains("gatherRows: order[3] is 6, outside [0, 6)"), e.getMessage());
        }
    }

    /** downloadLater gives the values of its time, not those of a later op. */
    @Test
    void downloadLaterGivesTheValuesOfItsTime() {
        float[] values = RandomTensors.uniform(92, 6);
        try (Tensor t = cpu.tensor(Shape.of(3, 2), values)) {
            var pending = cpu.downloadLater(t);
            cpu.fill(t, 2f);
            assertBitIdentical(values, pending.get(), "before the fill");
        }
    }
}
