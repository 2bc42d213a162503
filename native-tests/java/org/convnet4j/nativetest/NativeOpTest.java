package org.convnet4j.nativetest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Base of the op-by-op comparisons: one CPU and one GPU backend per test class, inputs reseeded from each
 * test's name (so a failure reproduces alone), every twin closed after each test.
 */
@GpuTest
abstract class NativeOpTest {
    static CpuGpu both;

    @BeforeAll
    static void openBackends() {
        both = CpuGpu.open();
    }

    @AfterAll
    static void closeBackends() {
        if (both != null) {
            both.close();
            both = null;
        }
    }

    @BeforeEach
    void reseed(TestInfo test) {
        both.reseed(test.getDisplayName().hashCode() * 31L + test.getTestMethod().map(m -> m.getName().hashCode()).orElse(0));
    }

    @AfterEach
    void closeTwins() {
        both.closeTwins();
    }
}
