package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.convnet4j.backend.BackendUnavailableException;
import org.junit.jupiter.api.Test;

/**
 * The cuBLAS providers, cuFFT and the cuDNN probe on any machine: each either loads, or fails within seconds with
 * a reason naming the binding and the library that is missing, the same reason every time. Where the
 * machine lacks a library (this build machine has no driver and no cuBLAS), the exact reason is asserted.
 */
class NativeBindingLoadTest {
    /** "UnsatisfiedLinkError: libcublas.so.12 not found", or the cuBLAS status of a failed cublasCreate. */
    private static final Pattern SPECIFIC_REASON =
            Pattern.compile("(lib[\\w.+-]+\\.so[\\w.]* not found|CUBLAS_STATUS_\\w+)");
    private static final Duration FAIL_FAST = Duration.ofSeconds(30);

    @Test
    void jcublasLoadsOrNamesTheMissingLibrary() {
        String reason = outcome(() -> new JCublasGemmProvider(CudaStream.legacyDefault()));
        if (reason == null) {
            return; // a CUDA 12 machine with a device: nothing to explain
        }
        assertTrue(reason.startsWith("JCublas2 12.6.0 needs libcublas.so.12")
                || reason.startsWith("JCublas2 12.6.0: cublasCreate failed"), reason);
        assertTrue(SPECIFIC_REASON.matcher(reason).find(), reason);
        assertEquals(reason, outcome(() -> new JCublasGemmProvider(CudaStream.legacyDefault())), "the second attempt gives the same reason");
        if (!systemHas("libcublas.so.12")) {
            assertTrue(reason.endsWith("UnsatisfiedLinkError: libcublas.so.12 not found"), reason);
        }
    }

    @Test
    void cublas13LoadsOrNamesTheMissingLibrary() {
        String reason = outcome(() -> new Cublas13GemmProvider(CudaStream.legacyDefault()));
        if (reason == null) {
            return;
        }
        assertTrue(reason.startsWith("cuBLAS 13 (org.bytedeco cuda 13.3-9.25-1.5.14) needs libcublas.so.13")
                || reason.startsWith("cuBLAS 13 (org.bytedeco cuda 13.3-9.25-1.5.14): cublasCreate failed"), reason);
        assertTrue(SPECIFIC_REASON.matcher(reason).find(), reason);
        assertEquals(reason, outcome(() -> new Cublas13GemmProvider(CudaStream.legacyDefault())), "the second attempt gives the same reason");
        // javacpp loads libcudart.so.13 (linked to the driver's libcuda.so.1) before cuBLAS.
        if (!systemHas("libcuda.so.1")) {
            assertTrue(reason.endsWith("UnsatisfiedLinkError: libcuda.so.1 not found"), reason);
        } else if (!systemHas("libcublas.so.13")) {
            assertTrue(reason.endsWith("UnsatisfiedLinkError: libcublas.so.13 not found"), reason);
        }
    }

    @Test
    void cudnnProbeReportsAVersionOrTheReason() {
        CudnnProbe.Result r = assertTimeoutPreemptively(FAIL_FAST, CudnnProbe::probe);
        if (r.available()) {
            assertEquals(9, r.version() / 10000, r.describe());
            assertTrue(r.describe().startsWith("cuDNN 9."), r.describe());
            return;
        }
        assertTrue(r.describe().startsWith("cuDNN unavailable: cuDNN 9 (org.bytedeco cuda 13.3-9.25-1.5.14) needs"),
                r.describe());
        assertTrue(SPECIFIC_REASON.matcher(r.reason()).find(), r.reason());
        assertEquals(r, CudnnProbe.probe(), "the second probe gives the same answer");
        if (!systemHas("libcuda.so.1")) {
            assertTrue(r.reason().endsWith("UnsatisfiedLinkError: libcuda.so.1 not found"), r.reason());
        }
    }

    @Test
    void cufftLoadsOrNamesTheMissingLibrary() {
        String reason = assertTimeoutPreemptively(FAIL_FAST, CufftLibrary::loadFailure);
        Cufft.Binding binding = CufftLibrary.bind(CudaStream.legacyDefault());
        assertEquals(reason, binding.unavailable(), "bind gives the same reason");
        if (reason == null) {
            assertNotNull(binding.cufft());
            assertTrue(CufftLibrary.describe().startsWith("loaded, cuFFT (org.bytedeco"), CufftLibrary.describe());
            return;
        }
        assertNull(binding.cufft());
        assertTrue(reason.startsWith("cuFFT (org.bytedeco cuda 13.3-9.25-1.5.14) needs libcufft.so.12"), reason);
        assertTrue(SPECIFIC_REASON.matcher(reason).find(), reason);
        assertEquals("not available: " + reason + " (the convolution registry offers no fft)", CufftLibrary.describe());
        // javacpp loads libcudart.so.13 (linked to the driver's libcuda.so.1) before cuFFT.
        if (!systemHas("libcuda.so.1")) {
            assertTrue(reason.endsWith("UnsatisfiedLinkError: libcuda.so.1 not found"), reason);
        } else if (!systemHas("libcufft.so.12")) {
            assertTrue(reason.endsWith("UnsatisfiedLinkError: libcufft.so.12 not found"), reason);
        }
    }

    @Test
    void cudnnVersionNumbersReadAsMajorMinorPatch() {
        assertEquals("9.14.0", new CudnnProbe.Result(91400, null).versionString());
        assertEquals("9.1.12", new CudnnProbe.Result(90112, null).versionString());
        assertFalse(new CudnnProbe.Result(0, "why").available());
    }

    @Test
    void bytedecoNativesAreOnlyForLinuxX8664AndWithoutTheRedistLibraries() {
        ClassLoader loader = getClass().getClassLoader();
        for (String pkg : List.of("org/bytedeco/cuda/", "org/bytedeco/javacpp/")) {
            assertNotNull(loader.getResource(pkg + "linux-x86_64/"), pkg + "linux-x86_64/ natives present");
            for (String other : List.of("linux-arm64", "linux-ppc64le", "linux-x86", "macosx-x86_64", "macosx-arm64",
                    "windows-x86_64", "windows-x86", "android-arm64")) {
                assertNull(loader.getResource(pkg + other + "/"), pkg + other + "/ natives must not be here");
            }
        }
        // The cuda-redist jars would carry NVIDIA's own libraries: we bind the system's instead.
        for (String lib : List.of("libcublas.so.13", "libcudart.so.13", "libcudnn.so.9", "libcufft.so.12")) {
            assertNull(loader.getResource("org/bytedeco/cuda/linux-x86_64/" + lib), lib + " must not be shipped");
        }
    }

    /** Null when the provider was created (and is closed again), else the message it failed with. */
    private static String outcome(Supplier<GemmProvider> create) {
        return assertTimeoutPreemptively(FAIL_FAST, () -> {
            try (GemmProvider p = create.get()) {
                assertFalse(p.name().isBlank());
                return null;
            } catch (BackendUnavailableException e) {
                return e.getMessage();
            }
        });
    }

    /** Whether a library of that file name is in a directory the dynamic linker or javacpp searches. */
    static boolean systemHas(String soname) {
        List<String> dirs = new ArrayList<>(List.of("/lib", "/usr/lib", "/lib64", "/usr/lib64",
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib/wsl/lib",
                "/usr/local/cuda/lib64", "/usr/local/cuda/lib", "/usr/local/cuda/targets/x86_64-linux/lib",
                "/usr/local/cuda-13.3/lib64"));
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            dirs.addAll(List.of(ld.split(File.pathSeparator)));
        }
        try {
            Path conf = Path.of("/etc/ld.so.conf.d");
            if (Files.isDirectory(conf)) {
                try (var files = Files.list(conf)) {
                    for (Path f : files.toList()) {
                        for (String line : Files.readAllLines(f)) {
                            if (line.startsWith("/")) {
                                dirs.add(line.strip());
                            }
                        }
                    }
                }
            }
        } catch (java.io.IOException e) {
            assumeTrue(false, "cannot read /etc/ld.so.conf.d: " + e);
        }
        return dirs.stream().anyMatch(d -> !d.isEmpty() && Files.exists(Path.of(d, soname)));
    }
}
