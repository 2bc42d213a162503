package org.convnet4j.backend.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.convnet4j.backend.BackendUnavailableException;

/**
 * {@link NcclCalls} by org.bytedeco's NCCL binding (org.bytedeco:cuda 13.3-9.25-1.5.14, libjninccl.so),
 * which links libnccl.so.2 (found and loaded first by {@link NcclLibrary}) and, as every binding of the
 * cuda preset, libcudart.so.13 and the driver's libcuda.so.1; streams and events by JCuda's driver API.
 */
final class BytedecoNccl implements NcclCalls {
    static final String BINDING = "NCCL (org.bytedeco cuda 13.3-9.25-1.5.14)";
    private static final String NEEDS = "libnccl.so.2, libcudart.so.13 and the driver's libcuda.so.1";

    private BytedecoNccl() {
    }

    /**
     * Finds and loads libnccl.so.2, then the binding.
     *
     * @throws BackendUnavailableException with where libnccl.so.2 was looked for and why the binding did not load
     */
    static BytedecoNccl load() {
        NcclLibrary.Outcome library = NcclLibrary.load();
        if (library.failed() != null) {
            throw new BackendUnavailableException(BINDING + " needs " + NEEDS + ": " + library.describe());
        }
        try {
            BytedecoLibraries.require(BINDING, NEEDS, BytedecoLibraries.NCCL);
        } catch (BackendUnavailableException e) {
            throw new BackendUnavailableException(e.getMessage() + " (" + library.describe() + ")", e);
        }
        return new BytedecoNccl();
    }

    @Override
    public int getVersion(int[] version) {
        return nccl.ncclGetVersion(version);
    }

    @Override
    public int getUniqueId(byte[] id) {
        ncclUniqueId u = new ncclUniqueId();
        int status = nccl.ncclGetUniqueId(u);
        new BytePointer(u).capacity(id.length).get(id);
        u.close();
        return status;
    }

    @Override
    public int commInitAll(long[] comms, int[] devices) {
        try (PointerPointer<ncclComm> out = new PointerPointer<>(devices.length)) {
            int status = nccl.ncclCommInitAll(out, devices.length, devices);
            for (int i = 0; i < devices.length; i++) {
                comms[i] = out.get(i) == null ? 0 : out.get(i).address();
            }
            return status;
        }
    }

    @Override
    public int commInitRank(long[] comm, int world, byte[] id, int rank) {
        try (PointerPointer<ncclComm> out = new PointerPointer<>(1); ncclUniqueId u = new ncclUniqueId()) {
            new BytePointer(u).capacity(id.length).put(id);
            int status = nccl.ncclCommInitRank(out, world, u, rank);
            comm[0] = out.get(0) == null ? 0 : out.get(0).address();
            return status;
        }
    }

    @Override
    public int groupStart() {
        return nccl.ncclGroupStart();
    }

    @Override
    public int groupEnd() {
        return nccl.ncclGroupEnd();
    }

    @Override
    public int allReduceSum(long buffer, long count, long comm, CudaStream stream) {
        BytedecoAddress b = new BytedecoAddress(buffer);
        return nccl.ncclAllReduce(b, b, count, nccl.ncclFloat32, nccl.ncclSum, comm(comm), BytedecoAddress.stream(stream));
    }

    @Override
    public int broadcast(long buffer, long count, int root, long comm, CudaStream stream) {
        BytedecoAddress b = new BytedecoAddress(buffer);
        return nccl.ncclBroadcast(b, b, count, nccl.ncclFloat32, root, comm(comm), BytedecoAddress.stream(stream));
    }

    @Override
    public int commDestroy(long comm) {
        return nccl.ncclCommDestroy(comm(comm));
    }

    @Override
    public String errorString(int status) {
        BytePointer s = nccl.ncclGetErrorString(status);
        return s == null ? "unknown NCCL result" : s.getString();
    }

    @Override
    public CudaStream createStream() {
        return CudaStream.createNonBlocking();
    }

    @Override
    public void destroyStream(CudaStream stream) {
        stream.destroy();
    }

    @Override
    public void streamWaits(CudaStream waiter, CudaStream signaler) {
        CUevent event = new CUevent();
        JCudaDriver.cuEventCreate(event, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        try {
            JCudaDriver.cuEventRecord(event, signaler.cuStream());
            JCudaDriver.cuStreamWaitEvent(waiter.cuStream(), event, 0);
        } finally {
            JCudaDriver.cuEventDestroy(event); // released once the recorded work is done; the wait keeps it
        }
    }

    private static ncclComm comm(long address) {
        return new ncclComm(new BytedecoAddress(address));
    }
}
