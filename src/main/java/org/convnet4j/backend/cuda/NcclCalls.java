package org.convnet4j.backend.cuda;

/**
 * The raw NCCL calls {@link NcclAllReduce} makes, and the stream and event calls around them, so that the
 * host fakes of the tests can check their order, counts and streams without libnccl. Communicators are
 * raw ncclComm_t values; every NCCL call returns its ncclResult_t (0: ncclSuccess), which the caller turns
 * into an exception with {@link #errorString}. Buffers are float32 device addresses, reduced in place.
 * {@link BytedecoNccl} implements it with org.bytedeco's NCCL binding and JCuda's driver API.
 */
interface NcclCalls {
    /** ncclGetVersion: version[0] = major * 10000 + minor * 100 + patch (NCCL 2.9 and later). */
    int getVersion(int[] version);

    /** ncclGetUniqueId into id (NCCL_UNIQUE_ID_BYTES = 128 bytes). */
    int getUniqueId(byte[] id);

    /** ncclCommInitAll: one communicator per device of devices, all in this process, into comms. */
    int commInitAll(long[] comms, int[] devices);

    /** ncclCommInitRank on the current context's device: rank of world, joined by the unique id; into comm[0]. */
    int commInitRank(long[] comm, int world, byte[] id, int rank);

    int groupStart();

    int groupEnd();

    /** ncclAllReduce(buffer, buffer, count, ncclFloat32, ncclSum, comm, stream): in place. */
    int allReduceSum(long buffer, long count, long comm, CudaStream stream);

    /** ncclBroadcast(buffer, buffer, count, ncclFloat32, root, comm, stream): in place. */
    int broadcast(long buffer, long count, int root, long comm, CudaStream stream);

    int commDestroy(long comm);

    /** ncclGetErrorString(status). */
    String errorString(int status);

    /** A new non-blocking stream on the current context. */
    CudaStream createStream();

    /** Destroys a stream made by createStream, once its work is done. */
    void destroyStream(CudaStream stream);

    /** Makes waiter's later work wait for the work issued to signaler so far (an event recorded and waited for). */
    void streamWaits(CudaStream waiter, CudaStream signaler);
}
