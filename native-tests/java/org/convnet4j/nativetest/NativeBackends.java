package org.convnet4j.nativetest;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;

/**
 * Opens the backend the native tests compare with the CPU: the CUDA backend on device 0, or, in a dry run
 * ({@code -Dconvnet4j.nativetest.dryRun=true}), a single-threaded CpuBackend standing in for it. A dry run
 * needs no GPU; it checks the tests themselves (shapes, arguments, comparisons, tolerances) before they
 * spend GPU time. Tests of CUDA-only things (GEMM providers, the device pool, out of memory) skip in it.
 */
final class NativeBackends {
    static final String DRY_RUN = "convnet4j.nativetest.dryRun";

    private NativeBackends() {
    }

    static boolean dryRun() {
        return Boolean.getBoolean(DRY_RUN);
    }

    /** The backend under test. */
    static Backend openDevice() {
        return dryRun() ? new CpuBackend(1) : CudaBackend.open();
    }
}
