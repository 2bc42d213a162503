package org.convnet4j.backend.cuda;

import jcuda.CudaException;
import jcuda.driver.JCudaDriver;

/** {@link DevicePool.Allocator} on cuMemAlloc/cuMemFree in the backend's context. */
final class CudaAllocator implements DevicePool.Allocator {
    private final CudaContext context;

    CudaAllocator(CudaContext context) {
        this.context = context;
    }

    @Override
    public long allocate(long bytes) {
        context.makeCurrent();
        DevicePtr p = new DevicePtr();
        try {
            JCudaDriver.cuMemAlloc(p, bytes);
        } catch (CudaException e) {
            if (String.valueOf(e.getMessage()).contains("CUDA_ERROR_OUT_OF_MEMORY")) {
                return 0;
            }
            throw e;
        }
        return p.address();
    }

    @Override
    public void free(long address) {
        context.makeCurrent();
        JCudaDriver.cuMemFree(DevicePtr.at(address));
    }

    @Override
    public long freeBytes() {
        return context.freeBytes();
    }
}
