package org.convnet4j.backend.cuda;

/**
 * Runs one kernel launch: {@link KernelImage} does it with cuLaunchKernel; tests record launches and check
 * each one's arguments against the kernel's parameters in kernels/*.cu. Arguments as for
 * {@link KernelLauncher}: CudaTensor or Long (device address, or a 64-bit integer), Integer, Float.
 */
interface KernelRunner {
    void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, int sharedBytes, Object[] args);

    /** Waits for all launched work (used to pin asynchronous faults on the kernel that caused them). */
    void synchronize();
}
