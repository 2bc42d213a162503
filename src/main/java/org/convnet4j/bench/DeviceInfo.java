package org.convnet4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;

/**
 * What a benchmark ran on, for its output: the card (or the CPU), the driver version and the GEMM provider.
 *
 * @param device       "NVIDIA H100 80GB HBM3", or "CPU: &lt;model name&gt; (N threads)"
 * @param driver       the CUDA driver version ("13.0"), or "none" on the CPU
 * @param gemmProvider the GEMM provider the CUDA backend picked ("cublas13", "kernel"...), or "cpu" for
 *                     the CPU backend's blocked SGEMM
 */
public record DeviceInfo(String device, String driver, String gemmProvider) {
    private static final Pattern CARD = Pattern.compile("device \\d+: ([^,]+)");
    private static final Pattern DRIVER = Pattern.compile("driver ([0-9.]+)");

    /** The device of a backend, read from its description (CUDA) or from /proc/cpuinfo (CPU). */
    public static DeviceInfo of(Backend backend) {
        if (backend instanceof CudaBackend cuda) {
            String d = cuda.description();
            return new DeviceInfo(group(CARD, d, d), group(DRIVER, d, "unknown"), cuda.gemmProvider().name());
        }
        String threads = backend instanceof CpuBackend cpu ? " (" + cpu.threads() + " threads)" : "";
        return new DeviceInfo("CPU: " + cpuModel() + threads, "none", "cpu");
    }

    private static String group(Pattern p, String text, String otherwise) {
        Matcher m = p.matcher(text);
        return m.find() ? m.group(1).trim() : otherwise;
    }

    /** The first "model name" of /proc/cpuinfo, or os.arch where there is none. */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
