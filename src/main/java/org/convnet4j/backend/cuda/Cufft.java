package org.convnet4j.backend.cuda;

/**
 * The cuFFT calls the FFT convolution ({@link CudaConvolutionFft}) makes, behind an interface so that the host
 * fakes can check their sequence and buffer sizes: batched 2-D real transforms of rows x cols, packed layouts
 * (real [batch, rows, cols], complex [batch, rows, cols/2+1] interleaved float pairs), forward R2C unnormalized
 * e^-2pi i, inverse C2R unnormalized e^+2pi i. The implementation is {@link CufftLibrary} (org.bytedeco cuda).
 */
interface Cufft {
    /** A plan's handle and the bytes of work area it needs at execution (auto-allocation is off). */
    record Plan(int handle, boolean toFrequency, int rows, int cols, int batch, long workBytes) {
    }

    /**
     * Whether cuFFT is there: the binding, or why not (the exact load error, for {@code convnet4j info} and the
     * registry's whyNot).
     */
    record Binding(Cufft cufft, String unavailable) {
        static Binding of(Cufft cufft) {
            return new Binding(cufft, null);
        }

        static Binding missing(String why) {
            return new Binding(null, why);
        }
    }

    /**
     * A plan of batch transforms, R2C (toFrequency) or C2R, that runs on the backend's stream, does not allocate its
     * work area (cufftSetAutoAllocation 0) and takes it at {@link #execute}. May allocate device memory itself
     * (twiddles), so never during a stream capture.
     */
    Plan plan(boolean toFrequency, int rows, int cols, int batch);

    /** Runs plan from in to out (device addresses) with workArea (at least plan.workBytes(); 0 when none needed). */
    void execute(Plan plan, long in, long out, long workArea);

    /** Frees the plan. */
    void destroy(Plan plan);
}
