package org.convnet4j.backend.cuda;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import java.nio.charset.StandardCharsets;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

import org.convnet4j.backend.BackendUnavailableException;

/**
 * One device's primary context (cuDevicePrimaryCtxRetain), so that cuBLAS, which uses the runtime API,
 * shares memory and the legacy default stream with our kernels. {@link #makeCurrent()} binds it to the
 * calling thread; the backend calls it at the start of every op, so any thread may use the backend.
 */
final class CudaContext implements DeviceOps, AutoCloseable {
    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final String name;
    private final int major;
    private final int minor;
    private final long totalBytes;
    private final int multiprocessors;
    private boolean closed;

    private CudaContext(int ordinal) {
        this.ordinal = ordinal;
        JCudaDriver.cuDeviceGet(device, ordinal);
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        byte[] nameBytes = new byte[256];
        JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device);
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        this.name = new String(nameBytes, 0, len, StandardCharsets.UTF_8);
        this.major = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.minor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        long[] total = new long[1];
        JCudaDriver.cuDeviceTotalMem(total, device);
        this.totalBytes = total[0];
        this.multiprocessors = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    }

    /** Retains device ordinal's primary context and makes it current, or says why it cannot. */
    static CudaContext open(int ordinal) {
        CudaDriver.ensureInitialized();
        int count = deviceCount();
        if (count == 0) {
            throw new BackendUnavailableException("no CUDA device: the driver found none");
        }
        if (ordinal < 0 || ordinal >= count) {
            throw new BackendUnavailableException("no CUDA device " + ordinal + ": this machine has " + count
                    + (count == 1 ? " device (0)" : " devices (0.." + (count - 1) + ")"));
        }
        try {
            return new CudaContext(ordinal);
        } catch (CudaException e) {
            throw new BackendUnavailableException("CUDA device " + ordinal + " cannot be used: " + e.getMessage(), e);
        }
    }

    /** Number of CUDA devices (the driver must be initialized). */
    static int deviceCount() {
        int[] count = new int[1];
        JCudaDriver.cuDeviceGetCount(count);
        return count[0];
    }

    private int attribute(int attribute) {
        int[] value = new int[1];
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    /** Binds this context to the calling thread. */
    @Override
    public void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("CUDA context of device " + ordinal + " used after close");
        }
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /** Waits for all work on the device. */
    @Override
    public void synchronize() {
        makeCurrent();
        JCudaDriver.cuCtxSynchronize();
    }

    @Override
    public void zero(long address, int words) {
        JCudaDriver.cuMemsetD32(DevicePtr.at(address), 0, words);
    }

    @Override
    public void upload(float[] src, long address) {
        JCudaDriver.cuMemcpyHtoD(DevicePtr.at(address), Pointer.to(src), 4L * src.length);
    }

    @Override
    public void upload(int[] src, long address) {
        JCudaDriver.cuMemcpyHtoD(DevicePtr.at(address), Pointer.to(src), 4L * src.length);
    }

    @Override
    public void download(long address, float[] dst) {
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), DevicePtr.at(address), 4L * dst.length);
    }

    @Override
    public void download(long address, int[] dst) {
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), DevicePtr.at(address), 4L * dst.length);
    }

    @Override
    public void copy(long src, long dst, long bytes) {
        JCudaDriver.cuMemcpyDtoD(DevicePtr.at(dst), DevicePtr.at(src), bytes);
    }

    /** Free bytes on the device right now (cuMemGetInfo). */
    long freeBytes() {
        makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return free[0];
    }

    int ordinal() {
        return ordinal;
    }

    String name() {
        return name;
    }

    /** Compute capability, e.g. "9.0". */
    String computeCapability() {
        return major + "." + minor;
    }

    int computeCapabilityMajor() {
        return major;
    }

    int computeCapabilityMinor() {
        return minor;
    }

    long totalBytes() {
        return totalBytes;
    }

    @Override
    public int multiprocessorCount() {
        return multiprocessors;
    }

    /** "device 0: NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB, CUDA driver 13.0". */
    @Override
    public String describe() {
        return "device " + ordinal + ": " + name + ", compute capability " + computeCapability() + ", "
                + String.format("%.1f GiB", totalBytes / (double) (1L << 30)) + ", CUDA driver "
                + CudaDriver.driverVersion();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }
}
