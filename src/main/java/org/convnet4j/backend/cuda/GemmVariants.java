package org.convnet4j.backend.cuda;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.convnet4j.tensor.Tensor;

/**
 * Every SGEMM this build can run on a CUDA device, side by side, for DenseBenchmark: the cuBLAS providers
 * ("jcublas" for CUDA 12 installs, "cublas13" for CUDA 13), our tiled kernel ("kernel", sgemm_tiled, the
 * provider {@link GemmProviders} falls back to) and the naive kernel kept beside it as an oracle and
 * baseline ("kernel-naive", sgemm_naive). Each that loads is opened once; {@link #unavailableReason}
 * says why another did not. The kernels run from their own copy of the kernel image, loaded into the
 * device's primary context (the backend's).
 */
public final class GemmVariants implements AutoCloseable {
    /** The variants, in the order the benchmark lists them. */
    public static final List<String> NAMES = List.of("jcublas", "cublas13", "kernel", "kernel-naive");

    private final CudaBackend backend;
    private final CudaContext context;
    private final KernelImage image;
    private final Map<String, GemmProvider> loaded = new LinkedHashMap<>();
    private final Map<String, String> unavailable = new LinkedHashMap<>();
    private boolean closed;

    private GemmVariants(CudaBackend backend, CudaContext context, KernelImage image) {
        this.backend = backend;
        this.context = context;
        this.image = image;
        CudaStream stream = backend.stream();
        KernelLauncher launcher = new KernelLauncher(image, stream);
        tryLoad("jcublas", () -> GemmProviders.byClassName(GemmProviders.JCUBLAS_CLASS, stream));
        tryLoad("cublas13", () -> GemmProviders.byClassName(GemmProviders.CUBLAS13_CLASS, stream));
        tryLoad("kernel", () -> kernel(launcher, "sgemm_tiled"));
        tryLoad("kernel-naive", () -> kernel(launcher, "sgemm_naive"));
    }

    /** The variants on device 0 (the device of {@link CudaBackend#open()}). */
    public static GemmVariants open(CudaBackend backend) {
        CudaContext context = CudaContext.open(0);
        KernelImage image = null;
        try {
            image = KernelImage.load(context.computeCapabilityMajor(), context.computeCapabilityMinor());
            return new GemmVariants(backend, context, image);
        } catch (RuntimeException e) {
            if (image != null) {
                image.close();
            }
            context.close();
            throw e;
        }
    }

    private void tryLoad(String name, Supplier<GemmProvider> create) {
        context.makeCurrent();
        try {
            loaded.put(name, create.get());
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, BackendUnavailableException
            unavailable.put(name, GemmProviders.reason(t));
        }
    }

    private KernelGemmProvider kernel(KernelLauncher launcher, String kernel) {
        image.function(kernel); // IllegalStateException when the image lacks it
        return new KernelGemmProvider(launcher, kernel);
    }

    /** Null when the variant loaded, else why not (one line). */
    public String unavailableReason(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown GEMM variant '" + name + "'; known: " + NAMES);
        }
        return loaded.containsKey(name) ? null : unavailable.get(name);
    }

    /**
     * Row-major, for i in [0, batch): C_i [m, n] = A [m, k] * B_i [k, n], with A shared by every item
     * (as in our convolution's forward) and B, C strided by k*n and m*n elements. a, b and c must belong
     * to the backend and hold at least m*k, batch*k*n and batch*m*n floats. Asynchronous.
     */
    public void sgemm(String name, int m, int n, int k, int batch, Tensor a, Tensor b, Tensor c) {
        if (closed) {
            throw new IllegalStateException("GEMM variants used after close");
        }
        GemmProvider p = loaded.get(name);
        if (p == null) {
            throw new IllegalStateException("GEMM variant '" + name + "' is not loaded: " + unavailableReason(name));
        }
        CudaTensor ta = own(a, (long) m * k, "a");
        CudaTensor tb = own(b, (long) batch * k * n, "b");
        CudaTensor tc = own(c, (long) batch * m * n, "c");
        context.makeCurrent();
        p.sgemmStridedBatched(false, false, m, n, k, 1f, ta.address(), k, 0, tb.address(), n, (long) k * n, 0f,
                tc.address(), n, (long) m * n, batch);
    }

    private CudaTensor own(Tensor t, long elements, String what) {
        if (!(t instanceof CudaTensor ct) || ct.owner() != backend) {
            throw new IllegalArgumentException("sgemm: " + what + " " + t + " is not a tensor of this CUDA backend");
        }
        if (t.size() < elements) {
            throw new IllegalArgumentException("sgemm: " + what + " " + t.shape() + " holds " + t.size()
                    + " floats, needs " + elements);
        }
        return ct;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            context.makeCurrent();
            for (GemmProvider p : loaded.values()) {
                p.close();
            }
            image.close();
            context.close();
        }
    }
}
