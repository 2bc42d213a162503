package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.backend.MemoryStats;
import org.junit.jupiter.api.Test;

/** DevicePool's size classes, reuse, counters and out-of-memory path, on a host fake allocator. */
class DevicePoolTest {

    @Test
    void sizeClassesArePowersOfTwoThenQuarterSteps() {
        assertEquals(512, DevicePool.sizeClass(1));
        assertEquals(512, DevicePool.sizeClass(512));
        assertEquals(1024, DevicePool.sizeClass(513));
        assertEquals(1024, DevicePool.sizeClass(1024));
        assertEquals(1L << 20, DevicePool.sizeClass((1L << 19) + 1));
        assertEquals(1L << 20, DevicePool.sizeClass(1L << 20));
        assertEquals(1_310_720, DevicePool.sizeClass((1L << 20) + 1)); // 1.25 MiB
        assertEquals(3L << 20, DevicePool.sizeClass((5L << 19) + 1)); // just over 2.5 MiB -> 3 MiB
        assertEquals(256L << 20, DevicePool.sizeClass(256L << 20));
        assertEquals(320L << 20, DevicePool.sizeClass((256L << 20) + 1));
        assertThrows(IllegalArgumentException.class, () -> DevicePool.sizeClass(0));
    }

    @Test
    void everyClassHoldsItsRequestAndWastesLessThanAQuarterAboveOneMiB() {
        for (long bytes = 1; bytes < (1L << 34); bytes = bytes * 3 / 2 + 7) {
            long cls = DevicePool.sizeClass(bytes);
            assertTrue(cls >= bytes, bytes + " -> " + cls);
            assertEquals(cls, DevicePool.sizeClass(cls), "a class is its own class: " + cls);
            if (bytes > (1L << 20)) {
                assertTrue(cls - bytes < bytes / 4 + 1, bytes + " -> " + cls);
            }
        }
    }

    @Test
    void freedBlocksAreReusedAndCounted() {
        HostFakes.Allocator device = new HostFakes.Allocator();
        DevicePool pool = new DevicePool(device);
        DevicePool.Block a = pool.acquire(1000);
        DevicePool.Block b = pool.acquire(3000);
        assertEquals(new MemoryStats(1024 + 4096, 1024 + 4096, 0, 2), pool.stats());
        pool.release(a);
        assertEquals(new MemoryStats(4096, 5120, 1024, 2), pool.stats());
        DevicePool.Block c = pool.acquire(600); // same class as a: reused
        assertEquals(a.address(), c.address());
        assertEquals(2, device.allocateCalls);
        assertEquals(new MemoryStats(5120, 5120, 0, 2), pool.stats());
        DevicePool.Block d = pool.acquire(5000); // another class: new memory
        assertNotEquals(b.address(), d.address());
        assertEquals(3, pool.stats().allocations());
        assertThrows(IllegalStateException.class, () -> {
            pool.release(c);
            pool.release(c);
        });
    }

    @Test
    void outOfMemoryFreesTheCacheRetriesOnceThenThrowsAndThePoolStillWorks() {
        HostFakes.Allocator device = new HostFakes.Allocator();
        device.limit = 10_000;
        DevicePool pool = new DevicePool(device);
        DevicePool.Block small = pool.acquire(4096);
        pool.release(small); // cached: 4096 of the 10000 bytes
        DevicePool.Block big = pool.acquire(8000); // class 8192 fits only once the cache is freed
        assertEquals(0, pool.stats().bytesCached());
        assertEquals(1, device.freeCalls);
        DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> pool.acquire(4096));
        assertTrue(e.getMessage().contains("4096 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("8192 bytes in use"), e.getMessage());
        assertTrue(e.getMessage().contains("1808 bytes free"), e.getMessage());
        pool.release(big);
        DevicePool.Block again = pool.acquire(8000);
        assertEquals(big.address(), again.address());
    }

    @Test
    void closeReturnsEverythingAndLaterUseFails() {
        HostFakes.Allocator device = new HostFakes.Allocator();
        DevicePool pool = new DevicePool(device);
        DevicePool.Block a = pool.acquire(100);
        pool.release(pool.acquire(70_000));
        pool.close();
        assertTrue(device.live.isEmpty(), "all device memory freed");
        pool.release(a); // a tensor closed after its backend: ignored
        assertThrows(IllegalStateException.class, () -> pool.acquire(1));
    }
}
