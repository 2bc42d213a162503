package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Memory ops: copy, fill, allocate, upload and download, CUDA against the CPU; tensors of another backend or
 * closed ones rejected; and running out of device memory.
 */
class MemoryOpsTest extends NativeOpTest {
    private static final long FOUR_GIB = 1L << 32;

    /** An upload of 9 M floats (36 MB: three parts of the staging ring) and of 5 M ints arrives whole. */
    @Test
    void anUploadInPartsArrivesWhole() {
        assumeFalse(NativeBackends.fakeDevice(), "needs the GPU computing");
        java.util.SplittableRandom r = new java.util.SplittableRandom(17);
        float[] floats = new float[9 << 20];
        int[] ints = new int[5 << 20];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < ints.length; i++) {
            ints[i] = r.nextInt();
        }
        try (Tensor f = both.gpu.tensor(Shape.of(floats.length), floats);
             Tensor n = both.gpu.intTensor(Shape.of(ints.length), ints)) {
            assertArrayEquals(floats, both.gpu.toFloatArray(f));
            assertArrayEquals(ints, both.gpu.toIntArray(n));
        }
    }

    /**
     * downloadLater: each pending read gives the values as they were when it was started (the GPU's copy waits
     * for the ops before it, not the ops after), like a plain download; reading one after its buffer went to
     * a later read is refused (a ring of two).
     */
    @Test
    void downloadLaterGivesTheValuesOfItsTime() {
        assumeFalse(NativeBackends.fakeDevice(), "needs the GPU computing");
        Twin t = both.uniform(Shape.of(300, 2));
        float[] first = both.gpuValues(t);
        var a = both.gpu.downloadLater(t.gpu());
        both.gpu.fill(t.gpu(), 2.5f); // after the read: not in it
        var b = both.gpu.downloadLater(t.gpu());
        assertArrayEquals(first, a.get(), "the values before the fill");
        float[] filled = new float[600];
        java.util.Arrays.fill(filled, 2.5f);
        assertArrayEquals(filled, b.get(), "the values after it");
        var c = both.gpu.downloadLater(t.gpu());
        both.gpu.downloadLater(t.gpu());
        both.gpu.downloadLater(t.gpu()); // takes c's buffer
        if (both.gpu instanceof CudaBackend) {
            assertThrows(IllegalStateException.class, c::get, "its buffer went to the read after the next");
        }
    }

    @Test
    void copyFillUploadDownload() {
        Twin src = both.uniform(Shape.of(3, 5, 7));
        Twin dst = both.output(Shape.of(15, 7));
        both.cpu.copy(src.cpu(), dst.cpu());
        both.gpu.copy(src.gpu(), dst.gpu());
        both.check("copy dst", dst, Tolerance.EXACT);

        Twin ints = both.labels(Shape.of(11, 3), 1000);
        Twin intDst = both.intOutput(Shape.of(33));
        both.cpu.copy(ints.cpu(), intDst.cpu());
        both.gpu.copy(ints.gpu(), intDst.gpu());
        both.checkInts("copy INT32 dst", intDst);

        Twin filled = both.output(Shape.of(1000, 3));
        both.cpu.fill(filled.cpu(), -2.5f);
        both.gpu.fill(filled.gpu(), -2.5f);
        both.check("fill -2.5", filled, Tolerance.EXACT);

        Twin zeros = new Twin(both.cpu.allocate(Shape.of(4099)), both.gpu.allocate(Shape.of(4099)));
        try (zeros) {
            both.check("allocate (zeros)", zeros, Tolerance.EXACT);
        }
    }

    @Test
    void foreignAndClosedTensorsAreRejectedLikeOnTheCpu() {
        Twin a = both.uniform(Shape.of(3, 4));
        var e = assertThrows(IllegalArgumentException.class,
                () -> both.gpu.fill(a.cpu(), 1f), "a CPU tensor handed to the GPU backend");
        System.out.println("rejected a CPU tensor on the GPU: " + e.getMessage());

        Twin closed = both.uniform(Shape.of(7));
        closed.close();
        rejectedByBoth("fill of a closed tensor", IllegalStateException.class,
                () -> both.cpu.fill(closed.cpu(), 1f), () -> both.gpu.fill(closed.gpu(), 1f));
    }

    /**
     * Running out of device memory, on a CUDA backend of its own. One tensor holds at most 2^31 - 1 floats
     * (8 GiB), less than a big GPU has, so the test asks for 4 GiB tensors until the device is full (at most 64
     * of them, 256 GiB, more than any GPU this runs on): the failing request must throw
     * DeviceOutOfMemoryException giving the bytes asked for, the pool's bytes in use and the device's free
     * bytes; after the tensors are closed the pool must work again, from its cache.
     */
    @Test
    void outOfMemoryNamesTheSizesAndThePoolWorksAfterwards() {
        assumeFalse(NativeBackends.cpuStandIn(), "out of device memory needs the CUDA backend");
        try (CudaBackend gpu = NativeBackends.openCuda()) {
            MemoryStats before = gpu.memoryStats();
            List<Tensor> held = new ArrayList<>();
            DeviceOutOfMemoryException oom = null;
            try {
                for (int i = 0; i < 64 && oom == null; i++) {
                    try {
                        held.add(gpu.allocate(Shape.of(1 << 30))); // 2^30 floats = 4 GiB
                    } catch (DeviceOutOfMemoryException e) {
                        oom = e;
                    }
                }
            } finally {
                held.forEach(Tensor::close);
            }
            assertNotNull(oom, "64 tensors of 4 GiB (256 GiB) all fit on " + gpu.description() + "?");
            String m = oom.getMessage();
            System.out.println("out of memory after " + held.size() + " x 4 GiB: " + m);
            assertTrue(m.contains("asked for " + FOUR_GIB + " bytes"), m);
            assertTrue(m.contains("bytes in use") && m.contains("bytes free"), m);
            long inUse = before.bytesInUse() + held.size() * FOUR_GIB;
            assertTrue(m.contains("has " + inUse + " bytes in use"), "the pool had " + inUse + " bytes in use: " + m);

            MemoryStats after = gpu.memoryStats();
            assertEquals(before.bytesInUse(), after.bytesInUse(), "bytes in use once the tensors are closed");

            // The pool works afterwards: a 4 GiB tensor comes from the cache (first: the device is full of cached
            // blocks, so any new allocation would make the pool return its cache), then a small one round-trips.
            long allocations = gpu.memoryStats().allocations();
            try (Tensor big = gpu.allocate(Shape.of(1 << 30))) {
                gpu.fill(big, 2f);
                gpu.synchronize();
                assertEquals(allocations, gpu.memoryStats().allocations(), "a cached 4 GiB block is reused");
            }
            float[] values = {1, -2, 3.5f, Float.MAX_VALUE, -0f};
            try (Tensor t = gpu.tensor(Shape.of(values.length), values)) {
                if (!NativeBackends.fakeDevice()) { // the host fake stores nothing
                    assertArrayEquals(values, gpu.toFloatArray(t));
                }
            }
            System.out.println("after the out-of-memory error the pool works: " + gpu.memoryStats());
        }
    }
}
