package org.convnet4j.backend.cuda;

/**
 * What the backend does with the device work of its ops right now: issues it (eager), records it into a
 * CUDA graph (capturing), or skips it because a graph that holds it will be launched (replaying: the ops'
 * host side still runs, so the host counters of the layers and optimizers advance and per-step scalars
 * are written to the device, see {@link StepScalars}). Kernel launches and GEMMs pass through
 * {@link #issueKernel} and {@link #issueGemm}, which also sum up the sequence of ops of a captured or
 * replayed step, so a replay can check that its step is the one that was captured. Host transfers,
 * allocations and synchronizations are refused while capturing or replaying.
 */
final class GraphPhase {
    /** The three modes. */
    enum Mode { EAGER, CAPTURING, REPLAYING }

    private Mode mode = Mode.EAGER;
    private long fingerprint;
    private int ops;
    private int gemmDepth;

    Mode mode() {
        return mode;
    }

    /** Enters CAPTURING or REPLAYING with an empty fingerprint, or returns to EAGER. */
    void enter(Mode next) {
        mode = next;
        fingerprint = 0;
        ops = 0;
        gemmDepth = 0;
    }

    /** The fingerprint of the ops since {@link #enter}: kernels, grids, GEMM and cuFFT sizes, in order. */
    long fingerprint() {
        return fingerprint;
    }

    /** Kernels, GEMMs and cuFFT transforms since {@link #enter}. */
    int ops() {
        return ops;
    }

    /**
     * Notes an op (a kernel by name with its grid, a device copy with its size); true when it is to be
     * issued to the stream. A GEMM's own kernels are not noted: the GEMM is.
     */
    boolean issue(String op, int... geometry) {
        if (gemmDepth == 0) {
            note(op.hashCode());
            note(geometry);
        }
        return mode != Mode.REPLAYING;
    }

    /**
     * Notes a GEMM of [m, n] += [m, k] [k, n] x batch; true when it is to be issued, and then the caller
     * brackets it with {@link #gemmStarted} / {@link #gemmDone} so that the GEMM's own kernels are not
     * counted again.
     */
    boolean issueGemm(int m, int n, int k, int batch) {
        return issue("gemm", m, n, k, batch);
    }

    void gemmStarted() {
        gemmDepth++;
    }

    void gemmDone() {
        gemmDepth--;
    }

    /** Throws when capturing or replaying: what (an upload, a download, a synchronization) has no place there. */
    void refuse(String what) {
        if (mode != Mode.EAGER) {
            throw new IllegalStateException(what + " inside a CUDA graph step ("
                    + (mode == Mode.CAPTURING ? "capturing" : "replaying")
                    + "): a graph step may only launch kernels, GEMMs and device-to-device copies on buffers it"
                    + " already holds; move it before or after the step");
        }
    }

    private void note(int... values) {
        if (mode == Mode.EAGER) {
            return;
        }
        ops += values.length == 1 ? 1 : 0;
        for (int v : values) {
            fingerprint = fingerprint * 1_000_003L + v;
        }
    }
}
