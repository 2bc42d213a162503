package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaTestAccess;
import org.convnet4j.backend.cuda.NcclAllReduce;
import org.convnet4j.distributed.ProcessGroupOptions;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * NCCL end to end with one rank on device 0 (the GPU host has one card, and NCCL refuses two ranks on one
 * device): started both ways (ncclCommInitAll over one device; the TCP rendezvous on loopback with world 1,
 * then ncclCommInitRank), an all-reduce of random data of a world of one is the identity, bit for bit,
 * also for buckets issued back to back before one await; a broadcast from rank 0 keeps the data; the
 * communicators are destroyed on close. On the host fakes (mvn verify) a fake NCCL records the calls and
 * computes nothing, so values are not compared there.
 */
@GpuTest
class NcclOpsTest {
    private static final int[] SIZES = {1, 1000, 1 << 20}; // one float, a small bucket, a 4 MiB bucket

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * 3);
        }
        return v;
    }

    /** Buckets of SIZES, all-reduced back to back, one await, then a broadcast: every value unchanged. */
    private static void identityOnOneRank(CudaBackend backend, NcclAllReduce nccl) {
        assertEquals(1, nccl.worldSize());
        assertEquals(1, nccl.localReplicas());
        System.out.println("NCCL: " + nccl.description());
        Tensor[] buckets = new Tensor[SIZES.length];
        float[][] data = new float[SIZES.length][];
        for (int i = 0; i < SIZES.length; i++) {
            data[i] = random(SIZES[i], 17 + i);
            buckets[i] = backend.allocate(Shape.of(SIZES[i]));
            backend.upload(data[i], buckets[i]); // asynchronous: the communication stream must wait for it
            nccl.allReduceSum(List.of(buckets[i]));
        }
        nccl.await();
        for (int i = 0; i < SIZES.length; i++) {
            nccl.broadcast(List.of(buckets[i]), 0);
        }
        nccl.await();
        for (int i = 0; i < SIZES.length; i++) {
            float[] got = backend.toFloatArray(buckets[i]);
            if (!NativeBackends.fakeDevice()) {
                assertArrayEquals(data[i], got, 0f, "bucket of " + SIZES[i] + " floats: the sum over one rank is itself");
            }
            buckets[i].close();
        }
    }

    @Test
    void oneDeviceByCommInitAll() {
        assumeFalse(NativeBackends.cpuStandIn(), "NCCL needs the CUDA backend");
        try (CudaBackend backend = NativeBackends.openCuda();
             NcclAllReduce nccl = CudaTestAccess.ncclLocal(List.of(backend), NativeBackends.fakeDevice())) {
            assertEquals(0, nccl.firstRank());
            identityOnOneRank(backend, nccl);
        }
    }

    @Test
    void oneRankByTheRendezvousAndCommInitRank() {
        assumeFalse(NativeBackends.cpuStandIn(), "NCCL needs the CUDA backend");
        // world 1: rank 0 listens on a port the system picks and needs no peer; the id goes the rendezvous's way
        ProcessGroupOptions group = new ProcessGroupOptions(0, 1, "127.0.0.1", 0);
        try (CudaBackend backend = NativeBackends.openCuda();
             NcclAllReduce nccl = CudaTestAccess.ncclJoin(List.of(backend), group, "NcclOpsTest", Duration.ofSeconds(30),
                     NativeBackends.fakeDevice())) {
            assertTrue(nccl.description().startsWith("NCCL 2."), nccl.description());
            identityOnOneRank(backend, nccl);
        }
    }
}
