package org.convnet4j.backend.cpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The backend setup every per-family CPU test shares ({@code Cpu<Family>Test}): one two-thread
 * {@link CpuBackend} per test class (two threads, so the multithreaded paths run), closed after its last
 * test, and small helpers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CpuFamilyTest {
    /** The backend under test; open from before the first test of the class to after its last. */
    protected CpuBackend cpu;

    @BeforeAll
    final void openBackend() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    final void closeBackend() {
        cpu.close();
    }

    /** a widened to double, for references computed in double. */
    protected static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
