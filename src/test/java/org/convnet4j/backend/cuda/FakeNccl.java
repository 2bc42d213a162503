package org.convnet4j.backend.cuda;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * NCCL on the host: records every call as one line ("allReduce comm=0xc0 count=6 stream=0x5001", "wait
 * 0x5001 for 0x57ae4d0"), hands out made-up communicators and streams, and checks what NCCL and the driver
 * would refuse: a collective outside a group where several communicators are local, a communicator used
 * after its destruction or never made, a stream that is not live. A test may make one call fail with a
 * status (failOn, failStatus).
 */
final class FakeNccl implements NcclCalls {
    final List<String> calls = new ArrayList<>();
    final Set<Long> liveComms = new HashSet<>();
    final Set<Long> liveStreams = new HashSet<>();
    /** The backends' stream handles (streams the fake did not make but may see). */
    final Set<Long> backendStreams = new HashSet<>();
    int version = 22703;
    int groupDepth;
    String failOn;
    int failStatus = 5; // ncclInvalidUsage
    private long nextComm = 0xC0;
    private long nextStream = 0x5001;

    private int status(String call) {
        return call.equals(failOn) ? failStatus : 0;
    }

    private void comm(long comm, String call) {
        if (!liveComms.contains(comm)) {
            throw new AssertionError(call + " on communicator 0x" + Long.toHexString(comm) + ", which is not live");
        }
    }

    private void stream(CudaStream s, String call) {
        if (!liveStreams.contains(s.handle()) && !backendStreams.contains(s.handle())) {
            throw new AssertionError(call + " on " + s + ", which is neither a live communication stream nor a backend's");
        }
    }

    @Override
    public int getVersion(int[] v) {
        calls.add("getVersion");
        v[0] = version;
        return status("getVersion");
    }

    @Override
    public int getUniqueId(byte[] id) {
        calls.add("getUniqueId");
        for (int i = 0; i < id.length; i++) {
            id[i] = (byte) (i * 7 + 3);
        }
        return status("getUniqueId");
    }

    @Override
    public int commInitAll(long[] comms, int[] devices) {
        calls.add("commInitAll devices=" + java.util.Arrays.toString(devices));
        int s = status("commInitAll");
        for (int i = 0; i < devices.length && s == 0; i++) {
            comms[i] = nextComm++;
            liveComms.add(comms[i]);
        }
        return s;
    }

    @Override
    public int commInitRank(long[] comm, int world, byte[] id, int rank) {
        calls.add("commInitRank world=" + world + " rank=" + rank + " id[1]=" + id[1] + " group=" + groupDepth);
        int s = status("commInitRank");
        if (s == 0) {
            comm[0] = nextComm++;
            liveComms.add(comm[0]);
        }
        return s;
    }

    @Override
    public int groupStart() {
        calls.add("groupStart");
        groupDepth++;
        return status("groupStart");
    }

    @Override
    public int groupEnd() {
        calls.add("groupEnd");
        if (groupDepth == 0) {
            throw new AssertionError("ncclGroupEnd without ncclGroupStart");
        }
        groupDepth--;
        return status("groupEnd");
    }

    @Override
    public int allReduceSum(long buffer, long count, long comm, CudaStream stream) {
        return collective("allReduce", buffer, count, comm, stream, "");
    }

    @Override
    public int broadcast(long buffer, long count, int root, long comm, CudaStream stream) {
        return collective("broadcast", buffer, count, comm, stream, " root=" + root);
    }

    private int collective(String name, long buffer, long count, long comm, CudaStream stream, String extra) {
        comm(comm, name);
        stream(stream, name);
        if (groupDepth == 0) {
            throw new AssertionError(name + " outside ncclGroupStart/End");
        }
        calls.add(name + " comm=0x" + Long.toHexString(comm) + " count=" + count + extra + " stream=0x"
                + Long.toHexString(stream.handle()) + " buffer=" + buffer);
        return status(name);
    }

    @Override
    public int commDestroy(long comm) {
        comm(comm, "commDestroy");
        liveComms.remove(comm);
        calls.add("commDestroy comm=0x" + Long.toHexString(comm));
        return status("commDestroy");
    }

    @Override
    public String errorString(int status) {
        return status == 5 ? "invalid usage" : "fake error " + status;
    }

    @Override
    public CudaStream createStream() {
        long h = nextStream++;
        liveStreams.add(h);
        calls.add("createStream 0x" + Long.toHexString(h));
        return CudaStream.fake(h);
    }

    @Override
    public void destroyStream(CudaStream s) {
        if (!liveStreams.remove(s.handle())) {
            throw new AssertionError("destroying " + s + ", which is not a live communication stream");
        }
        calls.add("destroyStream 0x" + Long.toHexString(s.handle()));
    }

    @Override
    public void streamWaits(CudaStream waiter, CudaStream signaler) {
        stream(waiter, "streamWaits");
        stream(signaler, "streamWaits");
        calls.add("wait 0x" + Long.toHexString(waiter.handle()) + " for 0x" + Long.toHexString(signaler.handle()));
    }
}
