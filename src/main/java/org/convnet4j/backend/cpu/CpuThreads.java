package org.convnet4j.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of threads that split a range [0, count) into at most {@code threads} contiguous parts.
 * Part p gets [count*p/parts, count*(p+1)/parts); the caller runs part 0. Work is split by output
 * elements only, never by a reduction index, so results do not depend on how many threads there are.
 * Calls do not nest: a part that called parallelFor again could wait forever for a busy worker (and
 * would share part-indexed workspaces), so a nested call throws IllegalStateException.
 */
final class CpuThreads implements AutoCloseable {

    /** The body of a parallel loop: handles [start, end) as part {@code part} (0 &lt;= part &lt; threads). */
    @FunctionalInterface
    interface RangeTask {
        void run(int part, int start, int end);
    }

    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();
    private static final ThreadLocal<Boolean> IN_PART = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final int threads;
    private final ExecutorService workers;

    CpuThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("cpu backend needs at least 1 thread, got " + threads);
        }
        this.threads = threads;
        if (threads == 1) {
            workers = null;
        } else {
            int pool = POOL_NUMBER.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            workers = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "convnet4j-cpu-" + pool + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    int threads() {
        return threads;
    }

    /** Runs task over [0, count) split into min(threads, count, maxParts) parts; returns when all are done. */
    void parallelFor(int count, RangeTask task) {
        parallelFor(count, threads, task);
    }

    void parallelFor(int count, int maxParts, RangeTask task) {
        if (count <= 0) {
            return;
        }
        int parts = Math.min(Math.min(threads, count), Math.max(1, maxParts));
        if (IN_PART.get()) {
            throw new IllegalStateException("cpu backend: parallelFor called from inside a parallel part");
        }
        if (parts == 1 || workers == null) {
            runPart(task, 0, 0, count);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int part = p;
            int start = (int) ((long) count * p / parts);
            int end = (int) ((long) count * (p + 1) / parts);
            futures.add(workers.submit(() -> runPart(task, part, start, end)));
        }
        Throwable failure = null;
        try {
            runPart(task, 0, 0, (int) ((long) count / parts));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("interrupted while waiting for cpu threads", e);
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private static void runPart(RangeTask task, int part, int start, int end) {
        IN_PART.set(Boolean.TRUE);
        try {
            task.run(part, start, end);
        } finally {
            IN_PART.set(Boolean.FALSE);
        }
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
