package org.convnet4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.nn.LocalResponseNorm;
import org.junit.jupiter.api.Test;

class LrnSpecTest {
    @Test
    void evenWindowSizesAreRefusedNamingTheRule() {
        for (int size : new int[] {2, 4, 6}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LocalResponseNorm("norm1", new LrnSpec(size, 1e-4f, 0.75f, 2f)));
            assertTrue(e.getMessage().contains("must be odd") && e.getMessage().endsWith("got " + size),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new LrnSpec(0, 1e-4f, 0.75f, 2f));
    }

    @Test
    void oddWindowSizesAreAccepted() {
        for (int size : new int[] {1, 3, 5, 7}) {
            assertEquals(size, new LrnSpec(size, 1e-4f, 0.75f, 2f).size());
        }
        assertEquals(5, LrnSpec.alexNet().size());
    }
}
