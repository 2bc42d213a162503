package org.convnet4j.backend.cpu;

import org.convnet4j.backend.MemoryStats;

/** Thread-safe counters of bytes in use, their peak, and allocations taken from the Java heap. */
final class MemoryCounter {
    private long bytesInUse;
    private long peakBytes;
    private long allocations;

    synchronized void allocated(long bytes) {
        bytesInUse += bytes;
        allocations++;
        peakBytes = Math.max(peakBytes, bytesInUse);
    }

    synchronized void freed(long bytes) {
        bytesInUse -= bytes;
    }

    synchronized MemoryStats snapshot() {
        return new MemoryStats(bytesInUse, peakBytes, 0, allocations);
    }
}
