package org.convnet4j.backend.cuda;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.distributed.AllReduce;
import org.convnet4j.distributed.ProcessGroupOptions;
import org.convnet4j.distributed.TcpRendezvous;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * {@link AllReduce} by NCCL over CUDA backends, one replica per device: this process drives
 * localReplicas() devices, each with an NCCL communicator and a communication stream of its own.
 *
 * <p>Each call first makes every communication stream wait (an event) for the work its replica's backend
 * has queued so far, then issues the NCCL calls of all local replicas inside one ncclGroupStart/End (float32,
 * in place), and returns without waiting; {@link #await()} makes each backend's stream wait for its
 * communication stream. So a caller that reduces one bucket of gradients while the backward of earlier
 * layers is still being issued overlaps the two on the device.
 *
 * <p>Two ways to start: {@link #local} (ncclCommInitAll: every replica of the run is in this process) and
 * {@link #ranks} (ncclCommInitRank for each local replica, inside one group: one process per machine, the
 * 128-byte unique id shared beforehand, as {@link #join} does with a {@link TcpRendezvous}). NCCL
 * refuses two ranks on one device, so the replicas must be on distinct devices. Not thread-safe: one thread
 * makes the calls, in the same order in every process.
 */
public final class NcclAllReduce implements AllReduce {
    /** Bytes of an ncclUniqueId (NCCL_UNIQUE_ID_BYTES). */
    public static final int UNIQUE_ID_BYTES = 128;

    private final NcclCalls calls;
    private final List<CudaBackend> replicas;
    private final int firstRank;
    private final int world;
    private final long[] comms;
    private final CudaStream[] streams;
    private final String version;
    private boolean closed;

    private NcclAllReduce(NcclCalls calls, List<CudaBackend> replicas, int firstRank, int world) {
        this.calls = calls;
        this.replicas = List.copyOf(replicas);
        this.firstRank = firstRank;
        this.world = world;
        this.comms = new long[replicas.size()];
        this.streams = new CudaStream[replicas.size()];
        this.version = version(calls);
    }

    /**
     * Every replica of the run in this process, one per device (ncclCommInitAll over their devices).
     *
     * @throws IllegalArgumentException    no replica, or two on one device
     * @throws BackendUnavailableException NCCL does not load (where libnccl.so.2 was looked for, and why)
     * @throws NcclException               the initialization failed
     */
    public static NcclAllReduce local(List<CudaBackend> replicas) {
        checkDevices(replicas);
        return local(BytedecoNccl.load(), replicas);
    }

    static NcclAllReduce local(NcclCalls calls, List<CudaBackend> replicas) {
        int[] devices = checkDevices(replicas);
        NcclAllReduce r = new NcclAllReduce(calls, replicas, 0, replicas.size());
        try {
            r.createStreams();
            r.check(calls.commInitAll(r.comms, devices), "ncclCommInitAll",
                    "starting " + devices.length + " communicators on devices " + join(devices));
            return r;
        } catch (RuntimeException e) {
            r.abandon(e);
            throw e;
        }
    }

    /**
     * This process's replicas as ranks firstRank, firstRank + 1, ... of a run of world replicas over several
     * processes (ncclCommInitRank for each, in one group). Every process must call this with the same id
     * (from {@link #uniqueId()} in one of them) and world; it returns when all ranks have joined.
     *
     * @throws IllegalArgumentException    the ranks do not lie in [0, world), two replicas share a device, or
     *                                     the id is not {@value #UNIQUE_ID_BYTES} bytes
     * @throws BackendUnavailableException NCCL does not load
     * @throws NcclException               the initialization failed
     */
    public static NcclAllReduce ranks(List<CudaBackend> replicas, int firstRank, int world, byte[] uniqueId) {
        checkDevices(replicas);
        return ranks(BytedecoNccl.load(), replicas, firstRank, world, uniqueId);
    }

    static NcclAllReduce ranks(NcclCalls calls, List<CudaBackend> replicas, int firstRank, int world, byte[] uniqueId) {
        int[] devices = checkDevices(replicas);
        if (firstRank < 0 || world < 1 || firstRank + replicas.size() > world) {
            throw new IllegalArgumentException("NCCL ranks " + firstRank + ".." + (firstRank + replicas.size() - 1)
                    + " do not lie in the run's ranks 0.." + (world - 1) + " (world " + world + ")");
        }
        if (uniqueId.length != UNIQUE_ID_BYTES) {
            throw new IllegalArgumentException("an NCCL unique id has " + UNIQUE_ID_BYTES + " bytes, got "
                    + uniqueId.length);
        }
        NcclAllReduce r = new NcclAllReduce(calls, replicas, firstRank, world);
        try {
            r.createStreams();
            r.group("starting ranks " + firstRank + ".." + (firstRank + devices.length - 1) + " of " + world, i -> {
                long[] comm = new long[1];
                int status = calls.commInitRank(comm, world, uniqueId, firstRank + i);
                r.comms[i] = comm[0];
                return status;
            }, "ncclCommInitRank");
            return r;
        } catch (RuntimeException e) {
            r.abandon(e);
            throw e;
        }
    }

    /**
     * This process's replicas in a run over group.world() processes, each driving as many replicas as this
     * one: the process of rank 0 makes the unique id, the {@link TcpRendezvous} hands it to the others, and
     * every process starts its replicas as ranks group.rank() * L .. group.rank() * L + L - 1 of world * L
     * (L = replicas.size()). Returns once every process has joined.
     *
     * @param token what must agree between the processes (the model, the batch, ...); the local replica count
     *              is added to it
     * @throws TcpRendezvous.RendezvousException the processes did not meet (which ranks are missing, or what
     *                                           differs)
     * @throws BackendUnavailableException       NCCL does not load
     * @throws NcclException                     the initialization failed
     */
    public static NcclAllReduce join(List<CudaBackend> replicas, ProcessGroupOptions group, String token,
                                     Duration timeout) {
        checkDevices(replicas);
        return join(BytedecoNccl.load(), replicas, group, token, timeout);
    }

    static NcclAllReduce join(NcclCalls calls, List<CudaBackend> replicas, ProcessGroupOptions group, String token,
                              Duration timeout) {
        int local = checkDevices(replicas).length;
        byte[] id = TcpRendezvous.exchange(group, token + ", " + local + " local replica" + (local == 1 ? "" : "s"),
                () -> uniqueId(calls), timeout);
        return ranks(calls, replicas, group.rank() * local, group.world() * local, id);
    }

    /**
     * A new NCCL unique id (ncclGetUniqueId), for the process of rank 0 to share with the others.
     *
     * @throws BackendUnavailableException NCCL does not load
     */
    public static byte[] uniqueId() {
        return uniqueId(BytedecoNccl.load());
    }

    static byte[] uniqueId(NcclCalls calls) {
        byte[] id = new byte[UNIQUE_ID_BYTES];
        int status = calls.getUniqueId(id);
        if (status != 0) {
            throw new NcclException("ncclGetUniqueId failed: " + calls.errorString(status) + " (" + status
                    + ") while making the id the ranks join with");
        }
        return id;
    }

    /**
     * NCCL's version, e.g. "2.27.3" (ncclGetVersion).
     *
     * @throws BackendUnavailableException NCCL does not load
     */
    public static String version() {
        return version(BytedecoNccl.load());
    }

    private static String version(NcclCalls calls) {
        int[] v = new int[1];
        int status = calls.getVersion(v);
        if (status != 0) {
            throw new NcclException("ncclGetVersion failed: " + calls.errorString(status) + " (" + status + ")");
        }
        // NCCL 2.9 and later: major * 10000 + minor * 100 + patch; before: major * 1000 + minor * 100 + patch
        int code = v[0];
        return code >= 10000 ? code / 10000 + "." + code / 100 % 100 + "." + code % 100
                : code / 1000 + "." + code / 100 % 10 + "." + code % 100;
    }

    /** The devices of the replicas, in order; each at most once. */
    private static int[] checkDevices(List<CudaBackend> replicas) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("NCCL all-reduce needs at least one replica, got none");
        }
        int[] devices = new int[replicas.size()];
        Map<Integer, Integer> replicaOf = new HashMap<>();
        for (int i = 0; i < devices.length; i++) {
            devices[i] = replicas.get(i).device().ordinal();
            Integer other = replicaOf.putIfAbsent(devices[i], i);
            if (other != null) {
                throw new IllegalArgumentException("replicas " + other + " and " + i + " are both on CUDA device "
                        + devices[i] + ": NCCL needs one device per replica (it refuses two ranks on one device)");
            }
        }
        return devices;
    }

    /** Releases what a failed start made (its failures added to cause's suppressed). */
    private void abandon(RuntimeException cause) {
        try {
            close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private void createStreams() {
        for (int i = 0; i < streams.length; i++) {
            replicas.get(i).device().makeCurrent();
            streams[i] = calls.createStream();
        }
    }

    @Override
    public int worldSize() {
        return world;
    }

    @Override
    public int localReplicas() {
        return replicas.size();
    }

    @Override
    public int firstRank() {
        return firstRank;
    }

    @Override
    public void allReduceSum(List<Tensor> buffers) {
        long[] addresses = addresses("allReduceSum", buffers);
        long count = buffers.get(0).size();
        group("all-reducing " + count + " floats " + buffers.get(0).shape(), i ->
                calls.allReduceSum(addresses[i], count, comms[i], streams[i]), "ncclAllReduce");
    }

    @Override
    public void broadcast(List<Tensor> buffers, int root) {
        if (root < 0 || root >= world) {
            throw new IllegalArgumentException("broadcast: root " + root + " is not a rank of the run (0.."
                    + (world - 1) + ")");
        }
        long[] addresses = addresses("broadcast", buffers);
        long count = buffers.get(0).size();
        group("broadcasting " + count + " floats " + buffers.get(0).shape() + " from rank " + root, i ->
                calls.broadcast(addresses[i], count, root, comms[i], streams[i]), "ncclBroadcast");
    }

    /** The buffers' device addresses, after the checks of the seam; each communication stream waits for its backend. */
    private long[] addresses(String call, List<Tensor> buffers) {
        if (closed) {
            throw new IllegalStateException("NCCL all-reduce used after close");
        }
        if (buffers.size() != replicas.size()) {
            throw new IllegalArgumentException(call + ": expected " + replicas.size() + " tensors (one per local"
                    + " replica), got " + buffers.size());
        }
        Shape shape = buffers.get(0).shape();
        long[] addresses = new long[buffers.size()];
        for (int i = 0; i < addresses.length; i++) {
            Tensor t = buffers.get(i);
            t.checkOpen();
            if (t.dataType() != DataType.FLOAT32 || !t.shape().equals(shape)) {
                throw new IllegalArgumentException(call + ": tensor " + i + " is " + t.dataType() + " " + t.shape()
                        + ", expected FLOAT32 " + shape + " like tensor 0");
            }
            CudaBackend b = replicas.get(i);
            if (!b.owns(t)) {
                throw new IllegalArgumentException(call + ": tensor " + i + " " + t + " is not a tensor of replica "
                        + i + "'s backend (" + b.description() + ")");
            }
            addresses[i] = b.devicePointer(t);
        }
        for (int i = 0; i < addresses.length; i++) {
            replicas.get(i).device().makeCurrent();
            calls.streamWaits(streams[i], replicas.get(i).stream());
        }
        return addresses;
    }

    /** One NCCL call per local replica inside ncclGroupStart/End; the first failure is thrown with what was done. */
    private void group(String doing, Call call, String name) {
        check(calls.groupStart(), "ncclGroupStart", doing);
        NcclException failure = null;
        try {
            for (int i = 0; i < replicas.size() && failure == null; i++) {
                int status = call.on(i);
                if (status != 0) {
                    failure = error(status, name, doing + " on local replica " + i + " (" + where(i) + ")");
                }
            }
        } finally {
            int end = calls.groupEnd();
            if (failure == null && end != 0) {
                failure = error(end, "ncclGroupEnd", doing);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private interface Call {
        int on(int replica);
    }

    @Override
    public void await() {
        if (closed) {
            throw new IllegalStateException("NCCL all-reduce used after close");
        }
        for (int i = 0; i < replicas.size(); i++) {
            replicas.get(i).device().makeCurrent();
            calls.streamWaits(replicas.get(i).stream(), streams[i]);
        }
    }

    @Override
    public String description() {
        List<String> devices = new ArrayList<>();
        for (CudaBackend b : replicas) {
            devices.add(String.valueOf(b.device().ordinal()));
        }
        String ranks = replicas.size() == 1 ? "rank " + firstRank
                : "ranks " + firstRank + ".." + (firstRank + replicas.size() - 1);
        return "NCCL " + version + ", " + ranks + " of " + world + " in this process, on CUDA device"
                + (devices.size() == 1 ? " " : "s ") + String.join(", ", devices);
    }

    /** Destroys the communicators and the communication streams; the backends' streams wait for them first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        NcclException failure = null;
        for (int i = 0; i < replicas.size() && streams[i] != null; i++) {
            replicas.get(i).device().makeCurrent();
            calls.streamWaits(replicas.get(i).stream(), streams[i]);
            if (comms[i] != 0) {
                int status = calls.commDestroy(comms[i]);
                if (status != 0 && failure == null) {
                    failure = error(status, "ncclCommDestroy", "closing local replica " + i + " (" + where(i) + ")");
                }
            }
            calls.destroyStream(streams[i]);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private String where(int replica) {
        return "rank " + (firstRank + replica) + " of " + world + ", CUDA device " + replicas.get(replica).device().ordinal();
    }

    private void check(int status, String name, String doing) {
        if (status != 0) {
            throw error(status, name, doing);
        }
    }

    private NcclException error(int status, String name, String doing) {
        return new NcclException(name + " failed: " + calls.errorString(status) + " (ncclResult_t " + status
                + ") while " + doing);
    }

    private static String join(int[] values) {
        StringBuilder s = new StringBuilder();
        for (int v : values) {
            s.append(s.length() == 0 ? "" : ", ").append(v);
        }
        return s.toString();
    }

    /** A failed NCCL call: its name, ncclGetErrorString's text and what was being done. */
    public static final class NcclException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NcclException(String message) {
            super(message);
        }
    }
}
