package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * NCCL's part of {@code convnet4j info} on any machine: three lines (library, binding, GPUs), each either
 * what is there or the reason it is not; on a machine without a driver (this build machine) the exact reasons.
 */
class NcclInfoTest {
    @Test
    void reportsTheLibraryTheBindingAndTheGpusOrWhyNot() {
        List<String> lines = NcclInfo.report();
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("library: libnccl.so.2: "), lines.get(0));
        assertTrue(lines.get(1).startsWith("binding: loaded, NCCL 2.")
                || lines.get(1).startsWith("binding: unavailable: NCCL (org.bytedeco cuda 13.3-9.25-1.5.14) needs"
                + " libnccl.so.2"), lines.get(1));
        assertTrue(lines.get(2).matches("GPUs: (\\d+.*|none usable \\(.+\\)|the device query failed: .+)"), lines.get(2));
        assertEquals(lines, NcclInfo.report(), "the same answer the second time");
        if (CudaDriver.unavailableReason() != null && !NativeBindingLoadTest.systemHas("libcuda.so.1")) {
            // javacpp loads libcudart.so.13, which links the driver, before NCCL's own binding
            assertTrue(lines.get(1).endsWith(": UnsatisfiedLinkError: libcuda.so.1 not found"), lines.get(1));
            assertEquals("GPUs: none usable (no CUDA driver: libcuda.so.1 not found)", lines.get(2));
        }
    }
}
