package org.convnet4j.backend;

/**
 * Memory counters of a backend.
 *
 * @param bytesInUse   bytes held by live tensors and workspaces right now
 * @param peakBytes    the most bytesInUse has been since the backend started (or the counters were reset)
 * @param bytesCached  bytes the pool holds freed, ready for reuse (0 where there is no pool)
 * @param allocations  how many times memory was taken from the system (not from the pool's cache)
 */
public record MemoryStats(long bytesInUse, long peakBytes, long bytesCached, long allocations) {
}
