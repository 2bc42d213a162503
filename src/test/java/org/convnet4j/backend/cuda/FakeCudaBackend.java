package org.convnet4j.backend.cuda;

/** For tests outside this package: a CudaBackend on {@link HostFakes} (no GPU), with our GEMM kernel. */
public final class FakeCudaBackend {
    private FakeCudaBackend() {
    }

    public static CudaBackend open() {
        return HostFakes.Rig.create().backend();
    }
}
