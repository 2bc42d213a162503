package org.convnet4j.backend.cuda;

import jcuda.CudaException;
import jcuda.driver.JCudaDriver;

import org.convnet4j.backend.BackendUnavailableException;

/**
 * Loads JCuda's driver binding and initializes the CUDA driver, once per JVM. {@link #unavailableReason()}
 * says why that failed, for {@code convnet4j info}.
 */
final class CudaDriver {
    private static String unavailableReason;
    private static boolean initialized;

    private CudaDriver() {
    }

    /** Loads and initializes the driver, or throws with the reason (the same reason on every later call). */
    static synchronized void ensureInitialized() {
        if (!initialized && unavailableReason == null) {
            unavailableReason = initialize();
            initialized = unavailableReason == null;
        }
        if (unavailableReason != null) {
            throw new BackendUnavailableException(unavailableReason);
        }
    }

    /** Null when the driver works, else why not. */
    static synchronized String unavailableReason() {
        try {
            ensureInitialized();
            return null;
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        }
    }

    /** The driver's CUDA version, e.g. "13.0". */
    static String driverVersion() {
        ensureInitialized();
        int[] v = new int[1];
        JCudaDriver.cuDriverGetVersion(v);
        return v[0] / 1000 + "." + (v[0] % 1000) / 10;
    }

    private static String initialize() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (Throwable t) { // UnsatisfiedLinkError, or NoClassDefFoundError on a second try
            String message = t.getMessage();
            if (message != null && message.contains("libcuda.so.1")) {
                return "no CUDA driver: libcuda.so.1 not found";
            }
            return "JCuda's driver binding cannot load: " + NativeLoadErrors.summarize(message);
        }
        try {
            JCudaDriver.cuInit(0);
        } catch (CudaException e) {
            if (String.valueOf(e.getMessage()).contains("NO_DEVICE")) {
                return "no CUDA device: the driver found none (" + e.getMessage() + ")";
            }
            return "the CUDA driver does not initialize: " + e.getMessage();
        }
        return null;
    }
}
