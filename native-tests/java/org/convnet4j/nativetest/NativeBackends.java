package org.convnet4j.nativetest;

import java.util.Locale;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaTestAccess;
import org.convnet4j.backend.cuda.GemmProviders;

/**
 * Opens the backend the native tests compare with the CPU: the CUDA backend on device 0, or, in a dry run
 * ({@code -Dconvnet4j.nativetest.dryRun=cpu|fake}), a stand-in that needs no GPU, to check the tests
 * themselves before they spend GPU time:
 * <ul>
 *   <li>{@code cpu}: a single-threaded CpuBackend stands in for the GPU; every comparison runs (and passes,
 *       the CPU being deterministic), so shapes, arguments, poisoning and tolerances are exercised.</li>
 *   <li>{@code fake}: the real CudaBackend on the host fakes of its unit tests: its shape checks, kernel
 *       launches (checked against kernels/*.cu and the live allocations), GEMM extents and memory pool run,
 *       with an 80 GiB simulated device, but nothing is computed, so values are not compared.</li>
 * </ul>
 */
final class NativeBackends {
    static final String DRY_RUN = "convnet4j.nativetest.dryRun";
    /** The simulated device memory of the fake dry run. */
    static final long FAKE_DEVICE_BYTES = 80L << 30;

    private NativeBackends() {
    }

    /** "cpu", "fake", or "" for a real run ("true" means "cpu"). */
    static String dryRun() {
        String v = System.getProperty(DRY_RUN, "").trim().toLowerCase(Locale.ROOT);
        return v.equals("true") ? "cpu" : v.equals("false") ? "" : v;
    }

    static boolean isDryRun() {
        return !dryRun().isEmpty();
    }

    /** A CpuBackend stands in for the GPU: values are compared, CUDA-only tests skip. */
    static boolean cpuStandIn() {
        return dryRun().equals("cpu");
    }

    /** The CUDA backend runs on host fakes: launches are checked, values are not computed. */
    static boolean fakeDevice() {
        return dryRun().equals("fake");
    }

    /** The backend under test. */
    static Backend openDevice() {
        return cpuStandIn() ? new CpuBackend(1) : openCuda();
    }

    /**
     * The backend under test with our own GEMM kernel as its provider ({@code -Dconvnet4j.gemm=kernel} while
     * it opens), for the paths only that provider takes; the host fakes use it already.
     */
    static Backend openDeviceWithKernelGemm() {
        if (isDryRun()) {
            return openDevice();
        }
        String previous = System.getProperty(GemmProviders.PROPERTY);
        System.setProperty(GemmProviders.PROPERTY, "kernel");
        try {
            return CudaBackend.open();
        } finally {
            if (previous == null) {
                System.clearProperty(GemmProviders.PROPERTY);
            } else {
                System.setProperty(GemmProviders.PROPERTY, previous);
            }
        }
    }

    /** The CUDA backend (on host fakes in the fake dry run); not for the cpu dry run. */
    static CudaBackend openCuda() {
        if (cpuStandIn()) {
            throw new IllegalStateException("the cpu dry run has no CUDA backend");
        }
        if (fakeDevice()) {
            return CudaTestAccess.hostFakeBackend(FAKE_DEVICE_BYTES);
        }
        if (isDryRun()) {
            throw new IllegalArgumentException("-D" + DRY_RUN + "=" + dryRun() + ": expected cpu or fake");
        }
        return CudaBackend.open();
    }
}
