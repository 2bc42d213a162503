package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.convnet4j.distributed.ProcessGroupOptions;
import org.convnet4j.distributed.TcpRendezvous;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * NcclAllReduce on host fakes (no libnccl, no GPU): which NCCL calls it makes, in which order, how often,
 * on which streams, and what its errors say. Replica i runs on fake device i, whose stream is 0xB00i; the
 * fake NCCL's communication streams are 0x5001, 0x5002, ...
 */
class NcclAllReduceTest {
    private final FakeNccl nccl = new FakeNccl();
    private final List<CudaBackend> replicas = new ArrayList<>();

    private List<CudaBackend> replicas(int... devices) {
        for (int d : devices) {
            HostFakes.Device device = new HostFakes.Device(d, 0xB000 + d);
            replicas.add(HostFakes.Rig.create(device).backend());
            nccl.backendStreams.add(0xB000L + d);
        }
        return replicas;
    }

    @AfterEach
    void close() {
        replicas.forEach(CudaBackend::close);
    }

    private List<Tensor> buffers(Shape shape) {
        List<Tensor> b = new ArrayList<>();
        for (CudaBackend r : replicas) {
            b.add(r.allocate(shape));
        }
        return b;
    }

    private List<String> callsFrom(int first) {
        return nccl.calls.subList(first, nccl.calls.size());
    }

    @Test
    void oneProcessStartsAllDevicesAtOnceAndReducesInOneGroupOnCommunicationStreams() {
        try (NcclAllReduce all = NcclAllReduce.local(nccl, replicas(0, 1))) {
            assertEquals(List.of("getVersion", "createStream 0x5001", "createStream 0x5002", "commInitAll devices=[0, 1]"),
                    nccl.calls);
            assertEquals(2, all.worldSize());
            assertEquals(2, all.localReplicas());
            assertEquals(0, all.firstRank());
            assertEquals("NCCL 2.27.3, ranks 0..1 of 2 in this process, on CUDA devices 0, 1", all.description());
            List<Tensor> grads = buffers(Shape.of(2, 3));
            int mark = nccl.calls.size();
            all.allReduceSum(grads);
            long a0 = replicas.get(0).devicePointer(grads.get(0));
            long a1 = replicas.get(1).devicePointer(grads.get(1));
            assertEquals(List.of(
                    "wait 0x5001 for 0xb000", "wait 0x5002 for 0xb001", // the comm streams wait for the backward so far
                    "groupStart",
                    "allReduce comm=0xc0 count=6 stream=0x5001 buffer=" + a0,
                    "allReduce comm=0xc1 count=6 stream=0x5002 buffer=" + a1,
                    "groupEnd"), callsFrom(mark));
            mark = nccl.calls.size();
            all.await();
            assertEquals(List.of("wait 0xb000 for 0x5001", "wait 0xb001 for 0x5002"), callsFrom(mark));
            mark = nccl.calls.size();
            all.broadcast(grads, 1);
            assertEquals(List.of("wait 0x5001 for 0xb000", "wait 0x5002 for 0xb001", "groupStart",
                    "broadcast comm=0xc0 count=6 root=1 stream=0x5001 buffer=" + a0,
                    "broadcast comm=0xc1 count=6 root=1 stream=0x5002 buffer=" + a1, "groupEnd"), callsFrom(mark));
            mark = nccl.calls.size();
            all.close();
            assertEquals(List.of("wait 0xb000 for 0x5001", "commDestroy comm=0xc0", "destroyStream 0x5001",
                    "wait 0xb001 for 0x5002", "commDestroy comm=0xc1", "destroyStream 0x5002"), callsFrom(mark));
            assertTrue(nccl.liveComms.isEmpty() && nccl.liveStreams.isEmpty());
            all.close(); // a second close does nothing
            assertEquals(mark + 6, nccl.calls.size());
            grads.forEach(Tensor::close);
        }
    }

    @Test
    void oneRankPerProcessJoinsEachLocalDeviceInOneGroup() {
        byte[] id = NcclAllReduce.uniqueId(nccl);
        assertEquals(128, id.length);
        try (NcclAllReduce all = NcclAllReduce.ranks(nccl, replicas(0, 1), 2, 4, id)) {
            assertEquals(List.of("getUniqueId", "getVersion", "createStream 0x5001", "createStream 0x5002",
                    "groupStart", "commInitRank world=4 rank=2 id[1]=10 group=1",
                    "commInitRank world=4 rank=3 id[1]=10 group=1", "groupEnd"), nccl.calls);
            assertEquals(4, all.worldSize());
            assertEquals(2, all.firstRank());
            assertEquals("NCCL 2.27.3, ranks 2..3 of 4 in this process, on CUDA devices 0, 1", all.description());
            List<Tensor> g = buffers(Shape.of(5));
            all.allReduceSum(g);
            all.broadcast(g, 0);
            all.broadcast(g, 3);
            assertThrows(IllegalArgumentException.class, () -> all.broadcast(g, 4));
            g.forEach(Tensor::close);
        }
    }

    @Test
    void bucketsAreIssuedWithoutWaitingAndAwaitOrdersTheBackendsAfterAllOfThem() {
        try (NcclAllReduce all = NcclAllReduce.local(nccl, replicas(0))) {
            List<Tensor> b1 = buffers(Shape.of(4));
            List<Tensor> b2 = buffers(Shape.of(7));
            int mark = nccl.calls.size();
            all.allReduceSum(b1);
            all.allReduceSum(b2);
            all.await();
            assertEquals(List.of("wait 0x5001 for 0xb000", "groupStart", "allReduce comm=0xc0 count=4 stream=0x5001 buffer="
                            + replicas.get(0).devicePointer(b1.get(0)), "groupEnd",
                    "wait 0x5001 for 0xb000", "groupStart", "allReduce comm=0xc0 count=7 stream=0x5001 buffer="
                            + replicas.get(0).devicePointer(b2.get(0)), "groupEnd",
                    "wait 0xb000 for 0x5001"), callsFrom(mark));
            assertEquals(0, ((HostFakes.Device) replicas.get(0).device()).synchronizations,
                    "nothing waits on the host");
            b1.forEach(Tensor::close);
            b2.forEach(Tensor::close);
        }
    }

    @Test
    void badBuffersAreRefusedBeforeAnyNcclCall() {
        try (NcclAllReduce all = NcclAllReduce.local(nccl, replicas(0, 1))) {
            int mark = nccl.calls.size();
            Tensor a = replicas.get(0).allocate(Shape.of(3));
            Tensor b = replicas.get(1).allocate(Shape.of(4));
            Tensor c = replicas.get(1).allocate(Shape.of(3), DataType.INT32);
            Tensor wrongOwner = replicas.get(0).allocate(Shape.of(3));
            assertEquals("allReduceSum: expected 2 tensors (one per local replica), got 1",
                    assertThrows(IllegalArgumentException.class, () -> all.allReduceSum(List.of(a))).getMessage());
            assertEquals("allReduceSum: tensor 1 is FLOAT32 [4], expected FLOAT32 [3] like tensor 0",
                    assertThrows(IllegalArgumentException.class, () -> all.allReduceSum(List.of(a, b))).getMessage());
            assertEquals("broadcast: tensor 1 is INT32 [3], expected FLOAT32 [3] like tensor 0",
                    assertThrows(IllegalArgumentException.class, () -> all.broadcast(List.of(a, c), 0)).getMessage());
            String m = assertThrows(IllegalArgumentException.class, () -> all.allReduceSum(List.of(a, wrongOwner)))
                    .getMessage();
            assertTrue(m.startsWith("allReduceSum: tensor 1 ") && m.contains("is not a tensor of replica 1's backend"), m);
            assertEquals("broadcast: root 2 is not a rank of the run (0..1)",
                    assertThrows(IllegalArgumentException.class, () -> all.broadcast(List.of(a, a), 2)).getMessage());
            assertEquals(mark, nccl.calls.size(), "no call made");
            List.of(a, b, c, wrongOwner).forEach(Tensor::close);
        }
    }

    @Test
    void twoReplicasOnOneDeviceAreRefusedAsNcclWould() {
        String m = assertThrows(IllegalArgumentException.class, () -> NcclAllReduce.local(nccl, replicas(0, 1, 0)))
                .getMessage();
        assertEquals("replicas 0 and 2 are both on CUDA device 0: NCCL needs one device per replica (it refuses two"
                + " ranks on one device)", m);
        assertTrue(nccl.calls.isEmpty());
    }

    @Test
    void ranksOutsideTheWorldOrABadIdAreRefused() {
        replicas(0, 1);
        assertEquals("NCCL ranks 3..4 do not lie in the run's ranks 0..3 (world 4)", assertThrows(
                IllegalArgumentException.class, () -> NcclAllReduce.ranks(nccl, replicas, 3, 4, new byte[128])).getMessage());
        assertEquals("an NCCL unique id has 128 bytes, got 16", assertThrows(IllegalArgumentException.class,
                () -> NcclAllReduce.ranks(nccl, replicas, 0, 2, new byte[16])).getMessage());
    }

    @Test
    void aFailedCallNamesItselfNcclsReasonAndWhatWasBeingDoneAndTheGroupIsClosed() {
        try (NcclAllReduce all = NcclAllReduce.local(nccl, replicas(0, 1))) {
            List<Tensor> g = buffers(Shape.of(2, 2));
            nccl.failOn = "allReduce";
            NcclAllReduce.NcclException e = assertThrows(NcclAllReduce.NcclException.class, () -> all.allReduceSum(g));
            assertEquals("ncclAllReduce failed: invalid usage (ncclResult_t 5) while all-reducing 4 floats [2, 2] on"
                    + " local replica 0 (rank 0 of 2, CUDA device 0)", e.getMessage());
            assertEquals(0, nccl.groupDepth, "ncclGroupEnd was still called");
            assertEquals("groupEnd", nccl.calls.get(nccl.calls.size() - 1));
            g.forEach(Tensor::close);
            nccl.failOn = null;
        }
    }

    @Test
    void aFailedStartReleasesWhatItMade() {
        nccl.failOn = "commInitRank";
        nccl.failStatus = 2;
        NcclAllReduce.NcclException e = assertThrows(NcclAllReduce.NcclException.class,
                () -> NcclAllReduce.ranks(nccl, replicas(0), 0, 2, new byte[128]));
        assertEquals("ncclCommInitRank failed: fake error 2 (ncclResult_t 2) while starting ranks 0..0 of 2 on local"
                + " replica 0 (rank 0 of 2, CUDA device 0)", e.getMessage());
        assertTrue(nccl.liveStreams.isEmpty(), "the communication stream is destroyed");
        assertEquals(0, nccl.groupDepth);
    }

    @Test
    void usedAfterCloseIsAnError() {
        NcclAllReduce all = NcclAllReduce.local(nccl, replicas(0));
        List<Tensor> g = buffers(Shape.of(1));
        all.close();
        assertEquals("NCCL all-reduce used after close",
                assertThrows(IllegalStateException.class, () -> all.allReduceSum(g)).getMessage());
        assertThrows(IllegalStateException.class, all::await);
        g.forEach(Tensor::close);
    }

    /** Two processes (threads here) of two replicas each meet over loopback: ranks 0..1 and 2..3 of 4, one id. */
    @Test
    void twoProcessesMeetAtTheRendezvousAndStartTheirRanks() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        FakeNccl other = new FakeNccl();
        List<CudaBackend> otherReplicas = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            otherReplicas.add(HostFakes.Rig.create(new HostFakes.Device(d, 0xC000 + d)).backend());
            other.backendStreams.add(0xC000L + d);
        }
        ExecutorService second = Executors.newSingleThreadExecutor();
        try {
            Future<NcclAllReduce> rank1 = second.submit(() -> NcclAllReduce.join(other, otherReplicas,
                    new ProcessGroupOptions(1, 2, "127.0.0.1", port), "lenet5",
                    Duration.ofSeconds(20)));
            try (NcclAllReduce rank0 = NcclAllReduce.join(nccl, replicas(0, 1),
                    new ProcessGroupOptions(0, 2, "127.0.0.1", port), "lenet5",
                    Duration.ofSeconds(20));
                 NcclAllReduce r1 = rank1.get(30, TimeUnit.SECONDS)) {
                assertEquals(List.of(0, 4, 2, 4), List.of(rank0.firstRank(), rank0.worldSize(), r1.firstRank(),
                        r1.worldSize()));
                assertTrue(nccl.calls.contains("getUniqueId"), "rank 0 makes the id");
                assertFalse(other.calls.contains("getUniqueId"), "rank 1 receives it");
                assertTrue(other.calls.contains("commInitRank world=4 rank=2 id[1]=10 group=1"), other.calls.toString());
                assertTrue(other.calls.contains("commInitRank world=4 rank=3 id[1]=10 group=1"), other.calls.toString());
                assertTrue(nccl.calls.contains("commInitRank world=4 rank=1 id[1]=10 group=1"), nccl.calls.toString());
            }
        } finally {
            second.shutdownNow();
            otherReplicas.forEach(CudaBackend::close);
        }
    }

    @Test
    void processesWithDifferentLocalReplicaCountsDoNotMeet() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        FakeNccl other = new FakeNccl();
        CudaBackend single = HostFakes.Rig.create(new HostFakes.Device(0, 0xC000)).backend();
        ExecutorService second = Executors.newSingleThreadExecutor();
        try {
            Future<?> rank1 = second.submit(() -> NcclAllReduce.join(other, List.of(single),
                    new ProcessGroupOptions(1, 2, "127.0.0.1", port), "lenet5",
                    Duration.ofSeconds(20)));
            String m = assertThrows(TcpRendezvous.RendezvousException.class,
                    () -> NcclAllReduce.join(nccl, replicas(0, 1), new ProcessGroupOptions(0, 2,
                            "127.0.0.1", port), "lenet5", Duration.ofSeconds(20))).getMessage();
            assertTrue(m.contains("runs 'lenet5, 1 local replica', rank 0 runs 'lenet5, 2 local replicas'"), m);
            assertThrows(ExecutionException.class, () -> rank1.get(30, TimeUnit.SECONDS));
            assertFalse(nccl.calls.contains("groupStart"), "no communicator started");
        } finally {
            second.shutdownNow();
            single.close();
        }
    }
}
