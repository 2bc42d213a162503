package org.convnet4j.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import org.convnet4j.backend.BackendUnavailableException;

/**
 * The kernels of kernels/*.cu, built by kernels/build.sh into one fatbin on the class path
 * ({@value #RESOURCE}), loaded with cuModuleLoadData. Functions are looked up by name once and cached.
 */
final class KernelImage implements KernelRunner, AutoCloseable {
    static final String RESOURCE = "org/convnet4j/kernels/convnet4j.fatbin";

    private final CUmodule module = new CUmodule();
    private final FatbinInfo info;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private boolean closed;

    private KernelImage(byte[] image, FatbinInfo info) {
        this.info = info;
        JCudaDriver.cuModuleLoadData(module, image);
    }

    /** The fatbin's bytes from the class path, or throws with the reason it is missing. */
    static byte[] readResource() {
        ClassLoader loader = KernelImage.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new BackendUnavailableException("no kernel image: " + RESOURCE
                        + " is not on the class path (the build found no nvcc)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BackendUnavailableException("kernel image " + RESOURCE + " cannot be read: " + e, e);
        }
    }

    /** Loads the image into the current context (the context of device cc major.minor). */
    static KernelImage load(int major, int minor) {
        byte[] image = readResource();
        FatbinInfo info;
        try {
            info = FatbinInfo.parse(image);
        } catch (RuntimeException e) {
            throw new BackendUnavailableException("kernel image " + RESOURCE + " is not a fatbin: " + e.getMessage());
        }
        if (!info.runsOn(major, minor)) {
            throw new BackendUnavailableException("kernel image holds " + info + ": nothing for compute capability "
                    + major + "." + minor);
        }
        try {
            return new KernelImage(image, info);
        } catch (CudaException e) {
            throw new BackendUnavailableException("kernel image (" + info + ") does not load on compute capability "
                    + major + "." + minor + ": " + e.getMessage(), e);
        }
    }

    FatbinInfo info() {
        return info;
    }

    /** The kernel named name (an extern "C" entry point); throws IllegalStateException when there is none. */
    synchronized CUfunction function(String name) {
        if (closed) {
            throw new IllegalStateException("kernel image used after close");
        }
        CUfunction f = functions.get(name);
        if (f == null) {
            f = new CUfunction();
            try {
                JCudaDriver.cuModuleGetFunction(f, module, name);
            } catch (CudaException e) {
                throw new IllegalStateException("kernel " + name + " is not in the kernel image: " + e.getMessage(), e);
            }
            functions.put(name, f);
        }
        return f;
    }

    /** cuLaunchKernel on stream. */
    @Override
    public void launch(String kernel, CudaStream stream, int gridX, int gridY, int gridZ, int blockX, int sharedBytes,
                       Object[] args) {
        JCudaDriver.cuLaunchKernel(function(kernel), gridX, gridY, gridZ, blockX, 1, 1, sharedBytes,
                stream.cuStream(), Pointer.to(parameters(args)), null);
    }

    @Override
    public void synchronize(CudaStream stream) {
        JCudaDriver.cuStreamSynchronize(stream.cuStream());
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

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            functions.clear();
            JCudaDriver.cuModuleUnload(module);
        }
    }
}
