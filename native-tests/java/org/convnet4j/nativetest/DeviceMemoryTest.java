package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Running out of device memory. One tensor holds at most 2^31 - 1 floats (8 GiB), less than a big GPU
 * has, so the test asks for 4 GiB tensors until the device is full (at most 64 of them, 256 GiB, more
 * than any GPU this runs on): the failing request must throw DeviceOutOfMemoryException giving the bytes
 * asked for, the pool's bytes in use and the device's free bytes; after the tensors are closed the pool
 * must work again, from its cache.
 */
@GpuTest
class DeviceMemoryTest {
    private static final long FOUR_GIB = 1L << 32;

    @Test
    void outOfMemoryNamesTheSizesAndThePoolWorksAfterwards() {
        try (CudaBackend gpu = CudaBackend.open()) {
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

            // The pool works afterwards: a small tensor round-trips, a 4 GiB one comes from the cache.
            float[] values = {1, -2, 3.5f, Float.MAX_VALUE, -0f};
            try (Tensor t = gpu.tensor(Shape.of(values.length), values)) {
                assertArrayEquals(values, gpu.toFloatArray(t));
            }
            long allocations = gpu.memoryStats().allocations();
            try (Tensor big = gpu.allocate(Shape.of(1 << 30))) {
                gpu.fill(big, 2f);
                gpu.synchronize();
                assertEquals(allocations, gpu.memoryStats().allocations(), "a cached 4 GiB block is reused");
            }
            System.out.println("after the out-of-memory error the pool works: " + gpu.memoryStats());
        }
    }
}
