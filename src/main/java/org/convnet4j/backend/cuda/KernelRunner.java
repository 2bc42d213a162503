package org.convnet4j.backend.cuda;

/**
 * Runs one kernel launch on a stream: {@link KernelImage} does it with cuLaunchKernel; tests record launches
 * (and their stream) and check each one's arguments against the kernel's parameters in kernels/*.cu.
 * Arguments as for {@link KernelLauncher}: CudaTensor or Long (device address, or a 64-bit integer),
 * Integer, Float.
 */
interface KernelRunner {
    void launch(String kernel, CudaStream stream, int gridX, int gridY, int gridZ, int blockX, int sharedBytes,
                Object[] args);

    /** Waits for all work launched on stream (used to pin asynchronous faults on the kernel that caused them). */
    void synchronize(CudaStream stream);
}
