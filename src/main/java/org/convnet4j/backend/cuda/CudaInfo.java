package org.convnet4j.backend.cuda;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.BackendUnavailableException;

/**
 * What {@code convnet4j info} prints about CUDA: the driver binding, each device, the kernel image's
 * targets, each GEMM provider (loaded or why not), and what {@code --device auto} would use. Never
 * throws: on a machine without a GPU every missing piece is one line.
 */
public final class CudaInfo {
    private CudaInfo() {
    }

    public static List<String> report() {
        List<String> lines = new ArrayList<>();
        lines.add(kernelImageLine());
        lines.add("cuFFT: " + CufftLibrary.describe());
        String driverProblem = CudaDriver.unavailableReason();
        if (driverProblem != null) {
            lines.add("JCuda driver: not available: " + driverProblem);
            lines.add("GEMM providers: not tried (no CUDA driver)");
            lines.add("--device auto: cpu (" + driverProblem + ")");
            return lines;
        }
        int count;
        try {
            lines.add("JCuda driver: loaded, CUDA driver version " + CudaDriver.driverVersion());
            count = CudaContext.deviceCount();
        } catch (RuntimeException e) {
            lines.add("JCuda driver: loaded, but the device query failed: " + e.getMessage());
            lines.add("--device auto: cpu (" + e.getMessage() + ")");
            return lines;
        }
        if (count == 0) {
            lines.add("CUDA devices: none");
            lines.add("GEMM providers: not tried (no CUDA device)");
            lines.add("--device auto: cpu (no CUDA device)");
            return lines;
        }
        for (int d = 0; d < count; d++) {
            try (CudaContext c = CudaContext.open(d)) {
                lines.add(c.describe());
            } catch (RuntimeException e) {
                lines.add("device " + d + ": cannot be opened: " + e.getMessage());
            }
        }
        try (CudaBackend backend = CudaBackend.open(0)) {
            for (String attempt : backend.gemmAttempts()) {
                lines.add("GEMM " + attempt);
            }
            lines.add("--device auto: cuda (device 0, GEMM " + backend.gemmProvider().name() + ")");
        } catch (BackendUnavailableException | IllegalArgumentException e) {
            lines.add("--device auto: cpu (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            lines.add("--device auto: cpu (the CUDA backend failed to start: " + e + ")");
        }
        return lines;
    }

    private static String kernelImageLine() {
        try {
            byte[] image = KernelImage.readResource();
            return "kernel image: " + KernelImage.RESOURCE + " (" + image.length + " bytes): "
                    + FatbinInfo.parse(image);
        } catch (RuntimeException e) {
            return "kernel image: " + e.getMessage();
        }
    }
}
