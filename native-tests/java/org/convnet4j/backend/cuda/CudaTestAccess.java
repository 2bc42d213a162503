package org.convnet4j.backend.cuda;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.distributed.ProcessGroupOptions;
import org.convnet4j.tensor.Tensor;

/**
 * What the native tests need from inside the cuda package (it lives in the native-tests source root, in
 * the same package): raw device addresses of tensors, every GEMM provider version that loads here, the
 * convolution algorithms run directly, and NCCL on the host fakes.
 */
public final class CudaTestAccess {
    private CudaTestAccess() {
    }

    /** A GEMM provider with a label naming its version ("kernel sgemm_tiled", "cublas13"...). */
    public record Labeled(String label, GemmProvider provider) {
    }

    /**
     * A CudaBackend on the host fakes of the unit tests (HostFakes): no GPU, device memory of deviceBytes
     * simulated by the pool's allocator, every kernel launch checked against kernels/*.cu and against the
     * live allocations, but nothing computed (downloads leave the host array as it was).
     */
    public static CudaBackend hostFakeBackend(long deviceBytes) {
        HostFakes.Rig rig = HostFakes.Rig.create();
        rig.memory().limit = deviceBytes;
        return rig.backend();
    }

    /**
     * NCCL over replicas, all in this process (ncclCommInitAll): the real binding, or with hostFakes (the
     * replicas on HostFakes) a fake NCCL that checks and records the calls and computes nothing.
     */
    public static NcclAllReduce ncclLocal(List<CudaBackend> replicas, boolean hostFakes) {
        return hostFakes ? NcclAllReduce.local(fakeNccl(replicas), replicas) : NcclAllReduce.local(replicas);
    }

    /** As {@link #ncclLocal}, by the rendezvous and ncclCommInitRank ({@link NcclAllReduce#join}). */
    public static NcclAllReduce ncclJoin(List<CudaBackend> replicas, ProcessGroupOptions group, String token,
                                         Duration timeout, boolean hostFakes) {
        return hostFakes ? NcclAllReduce.join(fakeNccl(replicas), replicas, group, token, timeout)
                : NcclAllReduce.join(replicas, group, token, timeout);
    }

    private static FakeNccl fakeNccl(List<CudaBackend> replicas) {
        FakeNccl fake = new FakeNccl();
        replicas.forEach(b -> fake.backendStreams.add(b.stream().handle()));
        return fake;
    }

    /** The raw device address of a tensor of a CUDA backend. */
    public static long address(Tensor t) {
        if (!(t instanceof CudaTensor ct)) {
            throw new IllegalArgumentException(t + " is not a CUDA tensor");
        }
        return ct.address();
    }

    /**
     * Every GEMM implementation that loads here, on backend's context: both versions of our kernel
     * (sgemm_tiled, and sgemm_naive kept as an oracle) and each cuBLAS binding that loads. The reason
     * each binding that does not load is added to unavailable. Close the providers before the backend.
     */
    public static List<Labeled> gemmProviders(CudaBackend backend, List<String> unavailable) {
        KernelLauncher launcher = backend.launcher();
        List<Labeled> providers = new ArrayList<>();
        providers.add(new Labeled("kernel sgemm_tiled", new KernelGemmProvider(launcher, "sgemm_tiled")));
        providers.add(new Labeled("kernel sgemm_naive", new KernelGemmProvider(launcher, "sgemm_naive")));
        backend.synchronize(); // binds the backend's primary context to this thread, for cublasCreate
        try {
            providers.add(new Labeled("jcublas (JCublas2 12.6.0)", new JCublasGemmProvider(backend.stream())));
        } catch (BackendUnavailableException e) {
            unavailable.add("jcublas: " + e.getMessage());
        }
        try {
            providers.add(new Labeled("cublas13 (org.bytedeco cuda)", new Cublas13GemmProvider(backend.stream())));
        } catch (BackendUnavailableException e) {
            unavailable.add("cublas13: " + e.getMessage());
        }
        return providers;
    }

    /** The three passes of one convolution algorithm, run directly on tensors of a CUDA backend. */
    public interface ConvPasses {
        /** y = conv(x, w) + bias (bias may be null). */
        void forward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y);

        /** dx = the gradient with respect to the input. */
        void backwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx);

        /** dw += the gradient with respect to the filters. */
        void backwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw);
    }

    /**
     * Winograd F(tile x tile, 3x3) ({@link CudaConvolutionWinograd}) on backend's context; the shapes are checked
     * by {@link ConvGeometry#of} only (the tensors must be the backend's and of those shapes).
     */
    public static ConvPasses winograd(CudaBackend backend, int tile) {
        CudaConvolutionWinograd winograd = new CudaConvolutionWinograd(backend.opContext(), tile);
        return passes("winograd", winograd::forward, winograd::backwardData, winograd::backwardFilter);
    }

    /**
     * The FFT convolution ({@link CudaConvolutionFft}) on backend's cuFFT (the host fakes' on them), shapes checked
     * as for {@link #winograd}; its plans live until the JVM exits (a test's few).
     *
     * @throws BackendUnavailableException with the load error when cuFFT cannot load
     */
    public static ConvPasses fft(CudaBackend backend) {
        Cufft.Binding cufft = backend.cufft();
        if (cufft.cufft() == null) {
            throw new BackendUnavailableException(cufft.unavailable());
        }
        CudaConvolutionFft fft = new CudaConvolutionFft(backend.opContext(), cufft.cufft());
        return passes("fft", fft::forward, fft::backwardData, fft::backwardFilter);
    }

    private interface Forward {
        void run(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y);
    }

    private interface Backward {
        void run(ConvGeometry g, Tensor a, Tensor b, Tensor out);
    }

    private static ConvPasses passes(String name, Forward forward, Backward data, Backward filter) {
        return new ConvPasses() {
            @Override
            public void forward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y) {
                forward.run(ConvGeometry.of(name + " forward", x.shape(), w.shape(), spec), x, w, bias, y);
            }

            @Override
            public void backwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx) {
                data.run(ConvGeometry.of(name + " backward data", dx.shape(), w.shape(), spec), dy, w, dx);
            }

            @Override
            public void backwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw) {
                filter.run(ConvGeometry.of(name + " backward filter", x.shape(), dw.shape(), spec), x, dy, dw);
            }
        };
    }
}
