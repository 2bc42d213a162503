package org.convnet4j.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.convnet4j.backend.BackendUnavailableException;

/**
 * Loads the org.bytedeco cuda bindings (cuBLAS 13, cuDNN 9, cuFFT of CUDA 13, NCCL 2) against the system's CUDA
 * libraries, and remembers why a load failed.
 *
 * <p>We ship only the small JNI jar (classifier linux-x86_64), not the cuda-redist jars holding NVIDIA's
 * libraries. Initializing a class such as {@code org.bytedeco.cuda.global.cublas} makes javacpp's Loader
 * load, for each library it links (libcudart.so.13, libcublasLt.so.13, libcublas.so.13; cuDNN's
 * libcudnn_*.so.9), first a copy among the class resources (none without the redist jars), then the file
 * of that name in the preset's link paths (/usr/local/cuda/lib64, /usr/local/cuda-13.3/lib64, /usr/lib64...),
 * and last System.loadLibrary; the JNI library (libjnicublas.so) is then loaded from javacpp's cache, and
 * the dynamic linker resolves its dependencies by soname (already loaded, LD_LIBRARY_PATH, ld.so.cache).
 * A toolkit elsewhere is found through LD_LIBRARY_PATH. When a library is missing the JNI load fails at
 * once with UnsatisfiedLinkError ("libcublas.so.13: cannot open shared object file", sometimes only in the
 * cause, under "no jnicudart in java.library.path"): nothing waits on a device or a lock.
 *
 * <p>A class whose initializer failed answers every later use with NoClassDefFoundError "Could not
 * initialize class", which has lost the reason; so the first reason is kept here and repeated.
 */
final class BytedecoLibraries {
    static final String CUDART = "org.bytedeco.cuda.global.cudart";
    static final String CUBLAS = "org.bytedeco.cuda.global.cublas";
    static final String CUDNN = "org.bytedeco.cuda.global.cudnn";
    static final String CUFFT = "org.bytedeco.cuda.global.cufft";
    static final String NCCL = "org.bytedeco.cuda.global.nccl";
    /** Class name to "" (loaded) or the reason it did not load, from the first attempt. */
    private static final Map<String, String> FAILURES = new ConcurrentHashMap<>();

    private BytedecoLibraries() {
    }

    /**
     * Initializes classNames in order, loading their native libraries; first org.bytedeco.cuda.global.cudart,
     * which every binding of the cuda preset inherits. Pass the classes a binding inherits before it
     * (cuDNN's inherits cuBLAS's), so that the first failure is reported with its own reason rather than as
     * "Could not initialize class".
     *
     * @param binding names the binding in the message, e.g. "cuBLAS 13 (org.bytedeco cuda)"
     * @param needs   what the binding needs, e.g. "libcublas.so.13 of a CUDA 13 install"
     * @throws BackendUnavailableException "binding needs X: UnsatisfiedLinkError: libfoo.so.N not found"
     *                                     when a library cannot load
     */
    static void require(String binding, String needs, String... classNames) {
        List<String> names = new ArrayList<>();
        names.add(CUDART);
        names.addAll(List.of(classNames));
        for (String name : names) {
            String failure = FAILURES.computeIfAbsent(name, BytedecoLibraries::tryLoad);
            if (!failure.isEmpty()) {
                throw new BackendUnavailableException(binding + " needs " + needs + ": " + failure);
            }
        }
    }

    /** Initializes the class: "" when it loaded, else the reason. */
    private static String tryLoad(String className) {
        try {
            Class.forName(className, true, BytedecoLibraries.class.getClassLoader());
            return "";
        } catch (ClassNotFoundException e) {
            return className + " is not on the class path (org.bytedeco:cuda jar missing)";
        } catch (LinkageError e) { // UnsatisfiedLinkError, ExceptionInInitializerError, NoClassDefFoundError
            return e.getClass().getSimpleName() + ": " + NativeLoadErrors.summarize(messages(e));
        }
    }

    /**
     * The messages of t and all its causes, innermost first, one per line: the innermost message is the
     * specific one ("libcuda.so.1: cannot open shared object file"), the outer ones are generic ("no
     * jnicudart in java.library.path").
     */
    static String messages(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e.getMessage() != null) {
                all.insert(0, e.getMessage() + "\n");
            }
        }
        return all.toString();
    }
}
