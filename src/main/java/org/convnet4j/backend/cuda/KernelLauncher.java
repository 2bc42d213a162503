package org.convnet4j.backend.cuda;

import java.util.ArrayList;
import java.util.List;

import jcuda.CudaException;

/**
 * The one place kernels are launched, all on the backend's {@link CudaStream}, through the backend's
 * {@link GraphPhase} (which skips them while a graph replays them). Arguments are passed in the order of
 * the kernel's parameters: a {@link CudaTensor} or a {@code Long} is a device address (or a 64-bit integer
 * parameter), an {@code Integer} an int, a {@code Float} a float. A failed launch (or, with
 * {@value #SYNC_PROPERTY}=true, a fault found by the synchronization after it) throws
 * {@link CudaKernelException} naming the kernel, the grid and block and the shapes of the tensor arguments.
 */
final class KernelLauncher {
    /** Threads per block of every element-wise (grid-stride) kernel and of the per-channel reductions. */
    static final int BLOCK = 256;
    /** Grid-stride kernels get at most this many blocks; each thread then loops. */
    static final int MAX_BLOCKS = 1 << 16;
    /** Set to true to synchronize after every launch, so an asynchronous fault names the right kernel. */
    static final String SYNC_PROPERTY = "convnet4j.cuda.syncEveryLaunch";

    private final KernelRunner runner;
    private final CudaStream stream;
    private final boolean syncEveryLaunch;
    private final GraphPhase phase = new GraphPhase();

    KernelLauncher(KernelRunner runner, CudaStream stream) {
        this(runner, stream, Boolean.getBoolean(SYNC_PROPERTY));
    }

    KernelLauncher(KernelRunner runner, CudaStream stream, boolean syncEveryLaunch) {
        this.runner = runner;
        this.stream = stream;
        this.syncEveryLaunch = syncEveryLaunch;
    }

    /** The stream every kernel is launched on. */
    CudaStream stream() {
        return stream;
    }

    /** Eager, capturing or replaying: shared by everything of the backend that issues device work. */
    GraphPhase phase() {
        return phase;
    }

    /** ceil(n / d) for positive d. */
    static long ceilDiv(long n, long d) {
        return (n + d - 1) / d;
    }

    /** Blocks for a grid-stride kernel over n items: ceil(n/BLOCK), at least 1, at most MAX_BLOCKS. */
    static int gridFor(long n) {
        return (int) Math.max(1, Math.min(MAX_BLOCKS, ceilDiv(n, BLOCK)));
    }

    /** Launches a grid-stride kernel over n items with BLOCK threads per block. */
    void launch(String kernel, long n, Object... args) {
        launchGrid(kernel, gridFor(n), 1, 1, BLOCK, 0, args);
    }

    /** Launches kernel on a (gridX, gridY, gridZ) grid of blockX-thread blocks. */
    void launchGrid(String kernel, int gridX, int gridY, int gridZ, int blockX, int sharedBytes, Object... args) {
        if (!phase.issue(kernel, gridX, gridY, gridZ, blockX)) {
            return;
        }
        try {
            runner.launch(kernel, stream, gridX, gridY, gridZ, blockX, sharedBytes, args);
            if (syncEveryLaunch && phase.mode() == GraphPhase.Mode.EAGER) {
                runner.synchronize(stream);
            }
        } catch (CudaException e) {
            throw new CudaKernelException(kernel + " (grid " + gridX + "x" + gridY + "x" + gridZ + ", block " + blockX
                    + ", tensors " + shapes(args) + ") failed: " + e.getMessage()
                    + (syncEveryLaunch ? "" : "; the fault may come from an earlier launch: run with -D"
                    + SYNC_PROPERTY + "=true to pin it"), e);
        }
    }

    private static String shapes(Object[] args) {
        List<String> s = new ArrayList<>();
        for (Object a : args) {
            if (a instanceof CudaTensor t) {
                s.add(t.shape().toString());
            }
        }
        return s.isEmpty() ? "none" : String.join(" ", s);
    }
}
