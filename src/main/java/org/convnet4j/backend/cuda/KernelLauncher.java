package org.convnet4j.backend.cuda;

import java.util.ArrayList;
import java.util.List;

import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * The one place kernels are launched, on the legacy default stream. Arguments are passed in the order of
 * the kernel's parameters: a {@link CudaTensor} or a {@code Long} is a device address, an {@code Integer}
 * an int, a {@code Float} a float. A failed launch (or, with {@value #SYNC_PROPERTY}=true, a fault found
 * by the synchronization after it) throws {@link CudaKernelException} naming the kernel, the grid and
 * block and the shapes of the tensor arguments.
 */
final class KernelLauncher {
    /** Threads per block of every element-wise (grid-stride) kernel. */
    static final int BLOCK = 256;
    /** Grid-stride kernels get at most this many blocks; each thread then loops. */
    static final int MAX_BLOCKS = 1 << 16;
    /** Set to true to synchronize after every launch, so an asynchronous fault names the right kernel. */
    static final String SYNC_PROPERTY = "convnet4j.cuda.syncEveryLaunch";

    private final CudaContext context;
    private final KernelImage image;
    private final boolean syncEveryLaunch;

    KernelLauncher(CudaContext context, KernelImage image) {
        this.context = context;
        this.image = image;
        this.syncEveryLaunch = Boolean.getBoolean(SYNC_PROPERTY);
    }

    CudaContext context() {
        return context;
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
        try {
            Pointer params = Pointer.to(parameters(args));
            JCudaDriver.cuLaunchKernel(image.function(kernel), gridX, gridY, gridZ, blockX, 1, 1, sharedBytes,
                    null, params, null);
            if (syncEveryLaunch) {
                JCudaDriver.cuCtxSynchronize();
            }
        } catch (CudaException e) {
            throw new CudaKernelException(kernel + " (grid " + gridX + "x" + gridY + "x" + gridZ + ", block " + blockX
                    + ", tensors " + shapes(args) + ") failed: " + e.getMessage()
                    + (syncEveryLaunch ? "" : "; the fault may come from an earlier launch: run with -D"
                    + SYNC_PROPERTY + "=true to pin it"), e);
        }
    }

    private static NativePointerObject[] parameters(Object[] args) {
        NativePointerObject[] p = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof CudaTensor t) {
                p[i] = Pointer.to(new long[] {t.address()});
            } else if (a instanceof Long l) {
                p[i] = Pointer.to(new long[] {l});
            } else if (a instanceof Integer n) {
                p[i] = Pointer.to(new int[] {n});
            } else if (a instanceof Float f) {
                p[i] = Pointer.to(new float[] {f});
            } else {
                throw new IllegalArgumentException("kernel argument " + i + " has unsupported type "
                        + (a == null ? "null" : a.getClass().getName()));
            }
        }
        return p;
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
