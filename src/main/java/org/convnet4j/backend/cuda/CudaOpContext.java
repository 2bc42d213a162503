package org.convnet4j.backend.cuda;

/**
 * What a family class (CudaConvolution, CudaPooling, ...) gets from {@link CudaBackend}: the launcher of
 * its kernels, the GEMM provider, the device's copies and the shared scratch workspace. Family classes
 * never see the backend itself.
 */
record CudaOpContext(KernelLauncher launcher, GemmProvider gemm, DeviceOps device, Workspace workspace) {
}
