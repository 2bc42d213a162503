package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EpochOrderTest {
    @Test
    void isAPermutationFixedBySeedAndEpoch() {
        int[] a = EpochOrder.permutation(5, 3, 1000);
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(a, EpochOrder.permutation(5, 3, 1000), "same (seed, epoch), same order");
        assertFalse(Arrays.equals(a, EpochOrder.permutation(5, 4, 1000)), "another epoch, another order");
        assertFalse(Arrays.equals(a, EpochOrder.permutation(6, 3, 1000)), "another seed, another order");
    }
}
