package org.convnet4j.backend.cuda;

/**
 * Assembles a {@link CudaBackend} on a real device: the primary context, the kernel image for its compute
 * capability, the launcher, the GEMM provider {@link GemmProviders} picks, cuFFT where it loads and the caching pool. Whatever
 * fails is released before the exception leaves (tests build a CudaBackend on host fakes instead).
 */
final class DeviceSetup {
    private DeviceSetup() {
    }

    static CudaBackend open(int device) {
        CudaContext context = CudaContext.open(device);
        KernelImage image = null;
        try {
            image = KernelImage.load(context.computeCapabilityMajor(), context.computeCapabilityMinor());
            KernelLauncher launcher = new KernelLauncher(image, context.stream());
            GemmProviders.Selection selection = GemmProviders.select(
                    GemmProviders.defaultCandidates(launcher, context.stream()), GemmProviders.requestedName());
            KernelImage loaded = image;
            return new CudaBackend(context, new DevicePool(new CudaAllocator(context)), launcher, selection,
                    CufftLibrary.bind(context.stream()), image.info().toString(), () -> {
                        loaded.close();
                        context.close();
                    });
        } catch (RuntimeException e) {
            if (image != null) {
                image.close();
            }
            context.close();
            throw e;
        }
    }
}
