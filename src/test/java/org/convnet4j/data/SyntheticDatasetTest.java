package org.convnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;

class SyntheticDatasetTest {
    @Test
    void itemsDependOnlyOnSeedAndIndex() {
        Shape item = Shape.of(3, 8, 8);
        SyntheticDataset a = SyntheticDataset.learnable(50, item, 4, 11);
        SyntheticDataset b = SyntheticDataset.learnable(50, item, 4, 11);
        float[] xa = new float[2 * 192];
        float[] xb = new float[2 * 192];
        int[] ya = new int[2];
        int[] yb = new int[2];
        a.copyBatch(new int[] {7, 3}, 0, 2, xa, ya);
        b.copyBatch(new int[] {9, 7, 3}, 1, 2, xb, yb);
        assertArrayEquals(xa, xb);
        assertArrayEquals(ya, yb);
        for (int l : ya) {
            assertTrue(l >= 0 && l < 4);
        }
        SyntheticDataset c = SyntheticDataset.learnable(50, item, 4, 12);
        float[] xc = new float[2 * 192];
        c.copyBatch(new int[] {7, 3}, 0, 2, xc, new int[2]);
        assertFalse(Arrays.equals(xa, xc));
    }

    @Test
    void sliceRenumbersItems() {
        SyntheticDataset all = SyntheticDataset.learnable(10, Shape.of(1, 2, 2), 3, 1);
        DatasetSlice s = new DatasetSlice("s", all, 6, 4);
        assertEquals(4, s.size());
        assertEquals(all.label(8), s.label(2));
        float[] x1 = new float[4];
        float[] x2 = new float[4];
        all.copyBatch(new int[] {8}, 0, 1, x1, new int[1]);
        s.copyBatch(new int[] {2}, 0, 1, x2, new int[1]);
        assertArrayEquals(x1, x2);
    }
}
