package org.convnet4j.backend;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SingleThreadGuardTest {
    private final SingleThreadGuard guard = new SingleThreadGuard("CpuBackend");

    /** Runs body on a new thread of that name and returns what it threw (null: nothing). */
    private static Throwable onThread(String name, Runnable body) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, name);
        t.start();
        t.join(10_000);
        assertTrue(!t.isAlive(), name + " finished");
        return thrown.get();
    }

    @Test
    void aSecondThreadDuringACallFailsAtOnceNamingBothThreadsAndOperations() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> firstFailed = new AtomicReference<>();
        Thread first = new Thread(() -> {
            try {
                guard.enter("conv2dForward");
                try {
                    inside.countDown();
                    assertTrue(release.await(10, TimeUnit.SECONDS));
                } finally {
                    guard.exit();
                }
            } catch (Throwable e) {
                firstFailed.set(e);
            }
        }, "trainer-1");
        first.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS), "the first call is in flight");

        Throwable second = onThread("trainer-2", () -> guard.enter("activationForward"));
        release.countDown();
        first.join(10_000);

        assertNull(firstFailed.get(), "the call in flight is not disturbed");
        IllegalStateException e = asIllegalState(second);
        for (String part : new String[] {"CpuBackend.activationForward", "\"trainer-2\"", "CpuBackend.conv2dForward",
                "\"trainer-1\"", "its own backend"}) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
    }

    private static IllegalStateException asIllegalState(Throwable t) {
        assertTrue(t instanceof IllegalStateException, "IllegalStateException expected, got " + t);
        return (IllegalStateException) t;
    }

    @Test
    void nestedCallsOnTheOwningThreadAreAllowedAndTheOutermostReleases() throws Exception {
        guard.enter("conv2dForward");
        guard.enter("gemm"); // a backend method calling another of its own
        guard.exit();
        assertTrue(onThread("other", () -> guard.enter("fill")) instanceof IllegalStateException,
                "still held after the inner call returned");
        guard.exit();
        assertNull(onThread("other", () -> {
            guard.enter("fill");
            guard.exit();
        }), "released after the outermost call");
    }

    @Test
    void callsOneAfterTheOtherFromDifferentThreadsAreAllowed() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertNull(onThread("worker-" + i, () -> {
                guard.enter("sgdUpdate");
                guard.exit();
            }));
        }
        guard.enter("synchronize");
        guard.exit();
    }

    @Test
    void aFailedCallReleasesTheGuardWhenExitIsInFinally() throws Exception {
        assertThrows(ArithmeticException.class, () -> {
            guard.enter("fill");
            try {
                throw new ArithmeticException("inside the op");
            } finally {
                guard.exit();
            }
        });
        assertNull(onThread("next", () -> {
            guard.enter("fill");
            guard.exit();
        }));
    }

    @Test
    void exitWithoutEnterIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, guard::exit);
        assertTrue(e.getMessage().contains("did not enter"), e.getMessage());
    }
}
