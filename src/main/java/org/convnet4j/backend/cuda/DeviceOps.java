package org.convnet4j.backend.cuda;

/**
 * What {@link CudaBackend} needs from a device besides kernels and allocation: binding its context to the
 * calling thread, copies and zeroing, and waiting. {@link CudaContext} implements it with the driver API;
 * tests implement it on the host to check every op's launches without a GPU. Copies to or from the host
 * are synchronous and ordered after all work issued before them.
 */
interface DeviceOps {
    /** Binds the device's context to the calling thread. */
    void makeCurrent();

    /** Sets words 32-bit words at address to zero. */
    void zero(long address, int words);

    void upload(float[] src, long address);

    void upload(int[] src, long address);

    void download(long address, float[] dst);

    void download(long address, int[] dst);

    /** Copies bytes from device address src to device address dst. */
    void copy(long src, long dst, long bytes);

    /** Waits for all work on the device. */
    void synchronize();

    /** The device's streaming multiprocessors (132 on an H100 SXM): how many blocks run side by side. */
    int multiprocessorCount();

    /** One line for people: the device, its compute capability, memory and driver. */
    String describe();
}
