package org.convnet4j.backend.cpu;

/**
 * What the CPU op families share, handed down by {@link CpuBackend}: its threads, its GEMM and its
 * workspaces. Families compute on arguments the backend has checked; they never call back up.
 */
record CpuContext(CpuThreads threads, CpuGemm gemm, CpuWorkspaces workspaces) {
    /** Element-wise ops smaller than this run on one thread. */
    private static final int PARALLEL_ELEMENTS = 1 << 15;

    /** A range [start, end) of elements. */
    @FunctionalInterface
    interface Span {
        void run(int start, int end);
    }

    /** Runs body over [0, size), on all threads when size is large enough to pay for them. */
    void elementwise(int size, Span body) {
        if (size < PARALLEL_ELEMENTS) {
            body.run(0, size);
        } else {
            threads.parallelFor(size, (part, i0, i1) -> body.run(i0, i1));
        }
    }
}
