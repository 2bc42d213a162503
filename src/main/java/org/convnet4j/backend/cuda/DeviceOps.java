package org.convnet4j.backend.cuda;

import org.convnet4j.backend.PendingDownload;

/**
 * What {@link CudaBackend} needs from a device besides kernels and allocation: binding its context to the
 * calling thread, its stream, copies and fills, waiting, and capturing the stream's work into a CUDA graph.
 * {@link CudaContext} implements it with the driver API; tests implement it on the host to check every op's
 * launches and the capture bookkeeping without a GPU.
 *
 * <p>Everything is issued to {@link #stream()} in program order and returns before the device has done it,
 * except downloads, which wait for the stream's work before them (not for the whole device). An upload
 * may return before the copy is done; the host array may be reused as soon as it returns.
 */
interface DeviceOps {
    /** The device's ordinal (CUDA device number), as NCCL names devices. */
    int ordinal();

    /** Binds the device's context to the calling thread. */
    void makeCurrent();

    /** The stream every op runs on. */
    CudaStream stream();

    /** Sets words 32-bit words at address to the bit pattern value (0 to zero them). */
    void set32(long address, int value, int words);

    void upload(float[] src, long address);

    void upload(int[] src, long address);

    void download(long address, float[] dst);

    void download(long address, int[] dst);

    /**
     * Starts copying floats 32-bit words from address to the host behind the stream's work, without waiting
     * (a pinned buffer and an event on a GPU); the result waits for the copy.
     */
    PendingDownload downloadLater(long address, int floats);

    /** Copies bytes from device address src to device address dst. */
    void copy(long src, long dst, long bytes);

    /** Waits for all work issued to the stream. */
    void synchronize();

    /** The device's streaming multiprocessors (132 on an H100 SXM): how many blocks run side by side. */
    int multiprocessorCount();
    /**
     * Starts recording the stream's work into a graph instead of running it (cuStreamBeginCapture, global
     * mode: an allocation or a synchronization by any thread fails while it lasts).
     */
    void beginCapture();

    /**
     * Ends the recording and instantiates the graph (cuStreamEndCapture, cuGraphInstantiate). The stream is
     * no longer capturing afterwards, also when this throws (a capture that failed).
     */
    Graph endCapture();

    /** One line for people: the device, its compute capability, memory and driver. */
    String describe();

    /** An instantiated graph of the stream's work. */
    interface Graph extends AutoCloseable {
        /** Issues the whole graph to the stream (cuGraphLaunch). */
        void launch();

        @Override
        void close();
    }
}
