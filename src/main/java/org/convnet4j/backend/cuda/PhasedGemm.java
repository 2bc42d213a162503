package org.convnet4j.backend.cuda;

/** The chosen GEMM provider behind the {@link GraphPhase}: skipped while a graph replays it. */
record PhasedGemm(GemmProvider provider, GraphPhase phase) implements GemmProvider {
    @Override
    public String name() {
        return provider.name();
    }

    @Override
    public CudaStream stream() {
        return provider.stream();
    }

    @Override
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
                                    long c, int ldc, long strideC, int batch) {
        if (!phase.issueGemm(m, n, k, batch)) {
            return;
        }
        phase.gemmStarted();
        try {
            provider.sgemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta,
                    c, ldc, strideC, batch);
        } finally {
            phase.gemmDone();
        }
    }

    @Override
    public void close() {
        provider.close();
    }
}
