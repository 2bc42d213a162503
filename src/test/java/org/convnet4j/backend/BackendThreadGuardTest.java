package org.convnet4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.FakeCudaBackend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Both backends are wired to their {@link SingleThreadGuard}: while one thread holds a backend (a call in
 * flight), every {@link Backend} method that touches the backend's state fails at once on a second thread
 * with IllegalStateException naming both threads, before any argument is looked at. Only the read-only
 * methods (name, description, memoryStats) pass; the interface's default methods go through guarded ones.
 */
class BackendThreadGuardTest {
    private static final Set<String> READ_ONLY = Set.of("name", "description", "memoryStats");

    @TestFactory
    Stream<DynamicTest> everyOpFailsOnASecondThreadWhileACallIsInFlight() {
        List<Supplier<Backend>> backends = List.of(() -> new CpuBackend(1), FakeCudaBackend::open);
        return backends.stream().map(open -> DynamicTest.dynamicTest(open.get().name(), () -> check(open.get())));
    }

    private static void check(Backend backend) throws Exception {
        SingleThreadGuard guard = guardOf(backend);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            guard.enter("conv2dForward");
            held.countDown();
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                guard.exit();
            }
        }, "holder");
        holder.start();
        assertTrue(held.await(10, TimeUnit.SECONDS));
        List<String> unguarded = new ArrayList<>();
        int guarded = 0;
        try {
            for (Method m : Backend.class.getMethods()) {
                if (m.isDefault() || Modifier.isStatic(m.getModifiers()) || READ_ONLY.contains(m.getName())) {
                    continue;
                }
                Throwable thrown = invoke(backend, m);
                if (thrown instanceof IllegalStateException e && e.getMessage().contains("\"holder\"")
                        && e.getMessage().contains(Thread.currentThread().getName())) {
                    guarded++;
                } else {
                    unguarded.add(m.getName() + " (" + thrown + ")");
                }
            }
        } finally {
            done.countDown();
            holder.join();
        }
        assertEquals(List.of(), unguarded, backend.name() + ": methods a second thread could call mid-call");
        assertTrue(guarded >= 38, "guarded methods: " + guarded);
        backend.close(); // the holder is gone: the backend serves this thread again
    }

    private static Throwable invoke(Backend backend, Method m) {
        Object[] args = new Object[m.getParameterCount()];
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
            args[i] = types[i] == int.class ? 1 : types[i] == long.class ? 1L : types[i] == float.class ? 0.5f
                    : types[i] == boolean.class ? Boolean.FALSE : null;
        }
        try {
            m.invoke(backend, args);
            return null;
        } catch (InvocationTargetException e) {
            return e.getCause();
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }

    private static SingleThreadGuard guardOf(Backend backend) throws ReflectiveOperationException {
        Field f = AbstractBackend.class.getDeclaredField("guard");
        f.setAccessible(true);
        return assertInstanceOf(SingleThreadGuard.class, f.get(backend));
    }
}
