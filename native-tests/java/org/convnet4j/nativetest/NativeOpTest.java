package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.function.Executable;

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

    /** Bad input: both backends throw the same kind of exception, before running anything. */
    static void rejectedByBoth(String what, Class<? extends RuntimeException> type, Executable onCpu,
                               Executable onGpu) {
        RuntimeException c = assertThrows(type, onCpu, what + " on the CPU");
        RuntimeException g = assertThrows(type, onGpu, what + " on the GPU");
        System.out.println("rejected " + what + ": cpu \"" + c.getMessage() + "\", gpu \"" + g.getMessage() + "\"");
    }
}
