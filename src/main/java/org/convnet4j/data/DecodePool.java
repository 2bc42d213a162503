package org.convnet4j.data;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded thread pool that decodes and transforms images ({@link ImageFolderDataset}), shared by a
 * run's training and test sets, and how many batches an epoch reads ahead of the trainer. Threads are
 * daemons named convnet4j-decode-N; {@link #close} stops them.
 */
public final class DecodePool implements AutoCloseable {
    /** Batches decoded ahead of the one the trainer is reading, by default. */
    public static final int DEFAULT_READ_AHEAD = 3;

    private final ExecutorService executor;
    private final int threads;
    private final int readAhead;

    /** threads decoding threads (0: one per available processor), readAhead &gt;= 1 batches ahead. */
    public DecodePool(int threads, int readAhead) {
        if (threads < 0) {
            throw new IllegalArgumentException("--loader-threads must be >= 0, got " + threads);
        }
        if (readAhead < 1) {
            throw new IllegalArgumentException("read-ahead must be >= 1 batch, got " + readAhead);
        }
        this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        this.readAhead = readAhead;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(this.threads, r -> {
            Thread t = new Thread(r, "convnet4j-decode-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    public int readAhead() {
        return readAhead;
    }

    ExecutorService executor() {
        return executor;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
