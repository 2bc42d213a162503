package org.convnet4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;

/** Small helpers for the nn tests, over the shared org.convnet4j.testing support. */
final class NnTesting {
    private NnTesting() {
    }

    /** A tensor of values uniform in [-1, 1) from seed. */
    static Tensor randomTensor(Backend backend, Shape shape, long seed) {
        return backend.tensor(shape, RandomTensors.uniform(seed, shape.size()));
    }

    static int[] labels(long seed, int n, int classes) {
        return RandomTensors.ints(seed, n, classes);
    }

    /** The report passed, and no more than a quarter of the checked elements were excused at kinks. */
    static void assertGradientsOk(GradientChecker.Report report) {
        assertTrue(report.passed(), report::toString);
        assertTrue(report.tolerated() * 4 <= report.checked(), () -> "too many points at kinks: " + report);
    }
}
