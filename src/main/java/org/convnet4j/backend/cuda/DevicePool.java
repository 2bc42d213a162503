package org.convnet4j.backend.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.convnet4j.backend.MemoryStats;

/**
 * A caching allocator of device memory. A request is rounded up to its size class
 * ({@link #sizeClass}); a freed block goes to the cache of its class and the next request of that class
 * takes it back, so a training loop that frees and allocates the same shapes every iteration takes
 * nothing new from the device after its first. When the device is out of memory the pool frees its cache
 * and retries once, then throws {@link DeviceOutOfMemoryException}; it keeps working afterwards.
 *
 * <p>The device is reached through {@link Allocator}, so the arithmetic is testable without one.
 */
final class DevicePool implements AutoCloseable {
    /** The smallest size class: 512 bytes (alignment of every block is the driver's, 256 or more). */
    static final long MIN_CLASS = 512;
    /** Up to this size, classes are powers of two; above it, four classes per doubling. */
    static final long POWER_OF_TWO_LIMIT = 1L << 20;

    /** Raw device memory. */
    interface Allocator {
        /** A new block of bytes, or 0 when the device is out of memory. */
        long allocate(long bytes);

        void free(long address);

        /** Free bytes on the device now. */
        long freeBytes();
    }

    /** A block handed out by the pool: its address, its size class and the bytes asked for. */
    record Block(long address, long classBytes, long requestedBytes) {
    }

    private final Allocator allocator;
    private final Map<Long, ArrayDeque<Long>> cache = new HashMap<>();
    private final Set<Long> live = new HashSet<>();
    private long bytesInUse;
    private long peakBytes;
    private long bytesCached;
    private long allocations;
    private boolean closed;
    private String refusal;

    DevicePool(Allocator allocator) {
        this.allocator = allocator;
    }

    /**
     * The size class of a request: 512 bytes at least; powers of two up to 1 MiB; above that, the next
     * multiple of a quarter of the largest power of two below the request (1.25, 1.5, 1.75, 2 x 2^k), so
     * rounding wastes less than 25%.
     */
    static long sizeClass(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("a device allocation needs a positive size, got " + bytes);
        }
        if (bytes <= MIN_CLASS) {
            return MIN_CLASS;
        }
        if (bytes <= POWER_OF_TWO_LIMIT) {
            return Long.highestOneBit(bytes - 1) << 1;
        }
        long step = Long.highestOneBit(bytes - 1) / 4;
        return (bytes + step - 1) / step * step;
    }

    /**
     * While during is not null, {@link #acquire} throws, naming during (e.g. "CUDA graph capture") and the
     * caller that asked: a captured graph keeps the addresses it was recorded with, so no block may be handed
     * out while one is recorded or replayed.
     */
    synchronized void refuseAcquire(String during) {
        refusal = during;
    }

    /** A block of at least bytes, from the cache when one of its class is there. */
    synchronized Block acquire(long bytes) {
        checkOpen();
        if (refusal != null) {
            throw new IllegalStateException("device allocation of " + bytes + " bytes during " + refusal + ", by "
                    + caller() + ": every buffer of a captured step must exist before the capture (run the step"
                    + " once eagerly first, and keep its tensors)");
        }
        long cls = sizeClass(bytes);
        ArrayDeque<Long> free = cache.get(cls);
        long address;
        if (free != null && !free.isEmpty()) {
            address = free.pop();
            bytesCached -= cls;
        } else {
            address = allocator.allocate(cls);
            if (address == 0) {
                emptyCache();
                address = allocator.allocate(cls);
            }
            if (address == 0) {
                throw new DeviceOutOfMemoryException("device out of memory: asked for " + bytes + " bytes (size class "
                        + cls + "), the pool has " + bytesInUse + " bytes in use, the device has "
                        + allocator.freeBytes() + " bytes free");
            }
            allocations++;
        }
        live.add(address);
        bytesInUse += cls;
        peakBytes = Math.max(peakBytes, bytesInUse);
        return new Block(address, cls, bytes);
    }

    /** Gives a block back to the cache of its class. */
    synchronized void release(Block block) {
        if (closed) {
            return; // close() freed everything already
        }
        if (!live.remove(block.address())) {
            throw new IllegalStateException("device block at 0x" + Long.toHexString(block.address())
                    + " released twice or not from this pool");
        }
        bytesInUse -= block.classBytes();
        bytesCached += block.classBytes();
        cache.computeIfAbsent(block.classBytes(), k -> new ArrayDeque<>()).push(block.address());
    }

    /** Returns every cached block to the device. */
    synchronized void emptyCache() {
        for (ArrayDeque<Long> blocks : cache.values()) {
            for (long address : blocks) {
                allocator.free(address);
            }
        }
        cache.clear();
        bytesCached = 0;
    }

    synchronized MemoryStats stats() {
        return new MemoryStats(bytesInUse, peakBytes, bytesCached, allocations);
    }

    /** The first stack frame outside this library's backend and tensor packages: the code that asked. */
    private static String caller() {
        java.security.CodeSource library = DevicePool.class.getProtectionDomain().getCodeSource();
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .filter(f -> !(java.util.Objects.equals(f.getDeclaringClass().getProtectionDomain().getCodeSource(),
                        library) && (f.getClassName().startsWith("org.convnet4j.backend.")
                        || f.getClassName().startsWith("org.convnet4j.tensor."))))
                .findFirst().map(StackWalker.StackFrame::toString).orElse("the backend itself"));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("device memory pool used after close");
        }
    }

    /** Frees the cache and every block still handed out. */
    @Override
    public synchronized void close() {
        if (!closed) {
            emptyCache();
            for (long address : live) {
                allocator.free(address);
            }
            live.clear();
            bytesInUse = 0;
            closed = true;
        }
    }
}
