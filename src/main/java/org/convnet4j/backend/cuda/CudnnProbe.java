package org.convnet4j.backend.cuda;

import org.bytedeco.cuda.global.cudnn;
import org.convnet4j.backend.BackendUnavailableException;

/**
 * Is cuDNN 9 usable here? Loads the org.bytedeco cuda 13.3-9.25-1.5.14 cuDNN binding (which links the
 * system's libcudnn_graph/ops/cnn/adv.so.9 and, because the preset inherits cuBLAS's, libcublas.so.13 and
 * libcublasLt.so.13, plus libcudart.so.13 and the driver's libcuda.so.1, as {@link BytedecoLibraries}
 * describes) and asks cudnnGetVersion, which needs no device. For
 * {@code convnet4j info} and the cuDNN baselines of the benchmarks.
 */
public final class CudnnProbe {
    private static final String BINDING = "cuDNN 9 (org.bytedeco cuda 13.3-9.25-1.5.14)";
    private static final String NEEDS =
            "libcudnn*.so.9 for CUDA 13, libcublas.so.13, libcudart.so.13 and the driver's libcuda.so.1";

    private CudnnProbe() {
    }

    /**
     * The outcome of a probe.
     *
     * @param version cudnnGetVersion(), e.g. 91400 for 9.14.0; 0 when unavailable
     * @param reason  why cuDNN cannot be used, or null when it can
     */
    public record Result(long version, String reason) {
        public boolean available() {
            return reason == null;
        }

        /** "9.14.0" from 91400 (cuDNN 9 numbers versions major*10000 + minor*100 + patch). */
        public String versionString() {
            return version / 10000 + "." + version % 10000 / 100 + "." + version % 100;
        }

        /** One line for people: "cuDNN 9.14.0 loaded" or "cuDNN unavailable: reason". */
        public String describe() {
            return available() ? "cuDNN " + versionString() + " loaded (" + BINDING + ")"
                    : "cuDNN unavailable: " + reason;
        }
    }

    /** Loads cuDNN (once per process) and reports its version, or the reason it cannot load; never throws. */
    public static Result probe() {
        try {
            BytedecoLibraries.require(BINDING, NEEDS, BytedecoLibraries.CUBLAS, BytedecoLibraries.CUDNN);
        } catch (BackendUnavailableException e) {
            return new Result(0, e.getMessage());
        }
        long version = cudnn.cudnnGetVersion();
        if (version / 10000 != 9) {
            return new Result(version, BINDING + " found cuDNN version " + version + ", but needs cuDNN 9");
        }
        return new Result(version, null);
    }
}
