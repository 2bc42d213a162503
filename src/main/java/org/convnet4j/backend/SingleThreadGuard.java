package org.convnet4j.backend;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Detects a backend used from a second thread while a call is in flight on the first, which would corrupt
 * both calls' results silently (a backend's workspaces, im2col buffers and device context are not shared
 * safely). Not a lock: it never waits. Each public backend method brackets its body with
 * <pre>
 *   try (var call = guard.enter("conv2dForward")) { ... }
 * </pre>
 * enter claims the backend for the calling thread with one compare-and-set, or, when another thread holds
 * it, throws an IllegalStateException naming the backend, both operations and both threads. It is
 * re-entrant, so a backend method may call another of its own. Calls one after the other from different
 * threads are allowed (the claim is released when the outermost call returns); only overlapping ones fail.
 */
public final class SingleThreadGuard {
    private final String backend;
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    /** Nesting depth of the owner's calls; read and written by the owner only. */
    private int depth;
    /** The owner's outermost operation, for the other thread's message. */
    private volatile String operation;
    /** What enter returns: closing it is {@link #exit}. One instance, so a call allocates nothing. */
    private final Call call = this::exit;

    /** A claim of the backend by the calling thread; close() ends it (try-with-resources). */
    @FunctionalInterface
    public interface Call extends AutoCloseable {
        @Override
        void close();
    }

    /** backend: how messages name it ("CpuBackend"). */
    public SingleThreadGuard(String backend) {
        this.backend = backend;
    }

    /**
     * Claims the backend for the calling thread for operation, or throws IllegalStateException (see above).
     * The returned call's close() is {@link #exit}.
     */
    public Call enter(String operation) {
        Thread me = Thread.currentThread();
        if (owner.get() == me) {
            depth++;
            return call;
        }
        if (!owner.compareAndSet(null, me)) {
            Thread other = owner.get();
            String inFlight = this.operation;
            throw new IllegalStateException(backend + "." + operation + " called on thread \"" + me.getName()
                    + "\" while " + backend + "." + inFlight + " is running on thread \""
                    + (other == null ? "(just finished)" : other.getName()) + "\": a backend serves one thread at"
                    + " a time. Give each thread its own backend (and its own tensors), or hand one backend from"
                    + " thread to thread only between calls.");
        }
        this.operation = operation;
        depth = 1;
        return call;
    }

    /** Ends the calling thread's innermost {@link #enter}; the outermost one releases the backend. */
    public void exit() {
        if (owner.get() != Thread.currentThread()) {
            throw new IllegalStateException(backend + ": exit() on thread \"" + Thread.currentThread().getName()
                    + "\", which did not enter");
        }
        if (--depth == 0) {
            operation = null;
            owner.set(null);
        }
    }
}
