package org.convnet4j.backend.cuda;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import java.nio.charset.StandardCharsets;

import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.PendingDownload;

/**
 * One device's primary context (cuDevicePrimaryCtxRetain), so that cuBLAS and cuDNN, which use the runtime
 * API, share memory with our kernels, and the backend's non-blocking {@link CudaStream}, created here, on
 * which everything runs. {@link #makeCurrent()} binds the context to the calling thread; the backend calls
 * it at the start of every op, so any thread may use the backend.
 *
 * <p>Host transfers go through pinned staging buffers ({@link PinnedStaging}): an upload copies the array
 * into one of two pinned buffers (in parts of at most 16 MiB) and issues an asynchronous copy to the stream,
 * so it returns at once and overlaps the work before it; a download issues its copy to the stream and
 * waits for the stream only; a later download (a ring of two more) records an event and waits for nothing.
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
    private final CudaStream stream;
    /** The largest part of an upload staged at once: 16 MiB. */
    static final int UPLOAD_PART_WORDS = 4 << 20;
    private final PinnedStaging uploads;
    private final PinnedStaging downloads;
    private final PinnedStaging laterDownloads;
    private boolean closed;

    private CudaContext(int ordinal) {
        this.ordinal = ordinal;
        JCudaDriver.cuDeviceGet(device, ordinal);
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        this.name = name(device);
        this.major = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.minor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        long[] total = new long[1];
        JCudaDriver.cuDeviceTotalMem(total, device);
        this.totalBytes = total[0];
        this.multiprocessors = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.stream = CudaStream.createNonBlocking();
        this.uploads = new PinnedStaging(2);
        this.downloads = new PinnedStaging(1);
        this.laterDownloads = new PinnedStaging(2);
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

    /** The device's name, e.g. "NVIDIA H200" (cuDeviceGetName; the driver must be initialized). */
    static String name(CUdevice device) {
        byte[] nameBytes = new byte[256];
        JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device);
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        return new String(nameBytes, 0, len, StandardCharsets.UTF_8);
    }

    /** The name of device ordinal, without retaining its context (the driver must be initialized). */
    static String name(int ordinal) {
        CUdevice d = new CUdevice();
        JCudaDriver.cuDeviceGet(d, ordinal);
        return name(d);
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

    @Override
    public CudaStream stream() {
        return stream;
    }

    /** Waits for all work issued to the stream. */
    @Override
    public void synchronize() {
        makeCurrent();
        JCudaDriver.cuStreamSynchronize(stream.cuStream());
    }

    @Override
    public void set32(long address, int value, int words) {
        JCudaDriver.cuMemsetD32Async(DevicePtr.at(address), value, words, stream.cuStream());
    }

    @Override
    public void upload(float[] src, long address) {
        uploadInParts(src.length, address, (bytes, from, n) -> bytes.asFloatBuffer().put(src, from, n));
    }

    @Override
    public void upload(int[] src, long address) {
        uploadInParts(src.length, address, (bytes, from, n) -> bytes.asIntBuffer().put(src, from, n));
    }

    /** Copies words from, from + 1, ..., from + n - 1 of a Java array into a staging buffer. */
    @FunctionalInterface
    private interface Stage {
        void put(java.nio.ByteBuffer bytes, int from, int n);
    }

    /**
     * Uploads words 32-bit words in parts of at most {@link #UPLOAD_PART_WORDS} (a data set held on the
     * device is one upload of hundreds of MB): the staging ring then never holds more than two parts, and the
     * host fills one part while the device copies the one before.
     */
    private void uploadInParts(int words, long address, Stage stage) {
        for (int from = 0; from < words; from += UPLOAD_PART_WORDS) {
            int n = Math.min(UPLOAD_PART_WORDS, words - from);
            PinnedStaging.Buffer b = uploads.next(4L * n);
            stage.put(b.bytes(), from, n);
            uploadFrom(b, address + 4L * from, 4L * n);
        }
    }

    private void uploadFrom(PinnedStaging.Buffer b, long address, long bytes) {
        JCudaDriver.cuMemcpyHtoDAsync(DevicePtr.at(address), b.host(), bytes, stream.cuStream());
        b.issued(stream);
    }

    @Override
    public void download(long address, float[] dst) {
        downloadTo(address, 4L * dst.length).asFloatBuffer().get(dst);
    }

    @Override
    public void download(long address, int[] dst) {
        downloadTo(address, 4L * dst.length).asIntBuffer().get(dst);
    }

    private java.nio.ByteBuffer downloadTo(long address, long bytes) {
        PinnedStaging.Buffer b = downloads.next(bytes);
        JCudaDriver.cuMemcpyDtoHAsync(b.host(), DevicePtr.at(address), bytes, stream.cuStream());
        JCudaDriver.cuStreamSynchronize(stream.cuStream());
        return b.bytes();
    }

    @Override
    public PendingDownload downloadLater(long address, int floats) {
        PinnedStaging.Buffer b = laterDownloads.next(4L * floats);
        long use = b.uses();
        JCudaDriver.cuMemcpyDtoHAsync(b.host(), DevicePtr.at(address), 4L * floats, stream.cuStream());
        b.issued(stream);
        return () -> {
            if (b.uses() != use) {
                throw new IllegalStateException("a pending download was read after its buffer went to a later one");
            }
            b.await();
            float[] values = new float[floats];
            b.bytes().asFloatBuffer().get(values);
            return values;
        };
    }

    @Override
    public void copy(long src, long dst, long bytes) {
        JCudaDriver.cuMemcpyDtoDAsync(DevicePtr.at(dst), DevicePtr.at(src), bytes, stream.cuStream());
    }

    @Override
    public void beginCapture() {
        makeCurrent();
        JCudaDriver.cuStreamBeginCapture(stream.cuStream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_GLOBAL);
    }

    @Override
    public Graph endCapture() {
        CUgraph graph = new CUgraph();
        JCudaDriver.cuStreamEndCapture(stream.cuStream(), graph);
        try {
            CUgraphExec exec = new CUgraphExec();
            JCudaDriver.cuGraphInstantiate(exec, graph, 0);
            return new Graph() {
                @Override
                public void launch() {
                    JCudaDriver.cuGraphLaunch(exec, stream.cuStream());
                }

                @Override
                public void close() {
                    JCudaDriver.cuGraphExecDestroy(exec);
                }
            };
        } finally {
            JCudaDriver.cuGraphDestroy(graph);
        }
    }

    /** Free bytes on the device right now (cuMemGetInfo). */
    long freeBytes() {
        makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return free[0];
    }

    @Override
    public int ordinal() {
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
            makeCurrent();
            closed = true;
            uploads.close();
            downloads.close();
            laterDownloads.close();
            stream.destroy();
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }
}
