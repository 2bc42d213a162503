package org.convnet4j.backend.cuda;

import jcuda.driver.CUdeviceptr;

/** A CUdeviceptr whose raw device address can be read (JCuda keeps it protected) and built from a long. */
final class DevicePtr extends CUdeviceptr {

    /** A null pointer, for cuMemAlloc to fill in. */
    DevicePtr() {
    }

    private DevicePtr(CUdeviceptr base, long byteOffset) {
        super(base, byteOffset);
    }

    /** A pointer to the raw device address. */
    static DevicePtr at(long address) {
        return new DevicePtr(new CUdeviceptr(), address);
    }

    /** The raw device address. */
    long address() {
        return getNativePointer() + getByteOffset();
    }
}
