package org.convnet4j.backend.cuda;

import org.bytedeco.cuda.global.cufft;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.cuda.cudart.float2;
import org.convnet4j.backend.BackendUnavailableException;

/**
 * {@link Cufft} through org.bytedeco:cuda 13.3-9.25-1.5.14, whose libjnicufft.so links CUDA 13's
 * libcufft.so.12 (loaded from the system's toolkit as {@link BytedecoLibraries} describes; we ship no
 * cuda-redist jar). Plans: cufftCreate, cufftSetAutoAllocation(0), cufftMakePlanMany (rank 2, packed layouts),
 * cufftSetStream to the backend's stream; execution sets the work area first (the workspace may have moved).
 */
final class CufftLibrary implements Cufft {
    static final String BINDING = "cuFFT (org.bytedeco cuda 13.3-9.25-1.5.14)";
    static final String NEEDS = "libcufft.so.12 of a CUDA 13 install";

    private final CudaStream stream;

    private CufftLibrary(CudaStream stream) {
        this.stream = stream;
    }

    /** The binding on stream, or why it cannot load ("... needs libcufft.so.12 ...: libcufft.so.12 not found"). */
    static Binding bind(CudaStream stream) {
        String why = loadFailure();
        return why == null ? Binding.of(new CufftLibrary(stream)) : Binding.missing(why);
    }

    /** null when the binding loads, else the reason (the first attempt's, kept by BytedecoLibraries). */
    static String loadFailure() {
        try {
            BytedecoLibraries.require(BINDING, NEEDS, BytedecoLibraries.CUFFT);
            return null;
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        }
    }

    /** For {@code convnet4j info}: "loaded, cuFFT 12.x.y (version N)" or "not available: reason". */
    static String describe() {
        String why = loadFailure();
        if (why != null) {
            return "not available: " + why + " (the convolution registry offers no fft)";
        }
        int[] version = new int[1];
        int status = cufft.cufftGetVersion(version);
        return status == cufft.CUFFT_SUCCESS ? "loaded, " + BINDING + ", cufftGetVersion " + version[0]
                : "loaded, but cufftGetVersion failed with status " + status;
    }

    @Override
    public Plan plan(boolean toFrequency, int rows, int cols, int batch) {
        int[] handle = new int[1];
        check(cufft.cufftCreate(handle), "cufftCreate");
        try (SizeTPointer work = new SizeTPointer(1); IntPointer n = new IntPointer(rows, cols)) {
            check(cufft.cufftSetAutoAllocation(handle[0], 0), "cufftSetAutoAllocation");
            int type = toFrequency ? cufft.CUFFT_R2C : cufft.CUFFT_C2R;
            int real = rows * cols;
            int complex = rows * (cols / 2 + 1);
            check(cufft.cufftMakePlanMany(handle[0], 2, n, null, 1, toFrequency ? real : complex, null, 1,
                    toFrequency ? complex : real, type, batch, work), "cufftMakePlanMany " + rows + "x" + cols
                    + " batch " + batch);
            check(cufft.cufftSetStream(handle[0], BytedecoAddress.stream(stream)), "cufftSetStream");
            return new Plan(handle[0], toFrequency, rows, cols, batch, work.get());
        } catch (RuntimeException e) {
            cufft.cufftDestroy(handle[0]);
            throw e;
        }
    }

    @Override
    public void execute(Plan plan, long in, long out, long workArea) {
        check(cufft.cufftSetWorkArea(plan.handle(), new BytedecoAddress(workArea)), "cufftSetWorkArea");
        int status = plan.toFrequency()
                ? cufft.cufftExecR2C(plan.handle(), new DeviceFloats(in), deviceComplex(out))
                : cufft.cufftExecC2R(plan.handle(), deviceComplex(in), new DeviceFloats(out));
        check(status, (plan.toFrequency() ? "cufftExecR2C " : "cufftExecC2R ") + plan);
    }

    @Override
    public void destroy(Plan plan) {
        cufft.cufftDestroy(plan.handle());
    }

    private static void check(int status, String call) {
        if (status != cufft.CUFFT_SUCCESS) {
            throw new IllegalStateException(BINDING + ": " + call + " failed with cufftResult " + status);
        }
    }

    /** A javacpp FloatPointer to a raw device address; owns nothing. */
    private static final class DeviceFloats extends FloatPointer {
        DeviceFloats(long address) {
            this.address = address;
        }
    }

    /** A javacpp float2 (cufftComplex) pointer to a raw device address; owns nothing (float2() would allocate). */
    private static float2 deviceComplex(long address) {
        return new float2(new BytedecoAddress(address));
    }
}
