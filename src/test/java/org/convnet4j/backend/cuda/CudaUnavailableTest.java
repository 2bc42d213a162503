package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.convnet4j.backend.BackendUnavailableException;
import org.junit.jupiter.api.Test;

/**
 * Where no GPU can be used (this build machine, CI), opening the backend says why in one line and CudaInfo
 * reports each missing piece without throwing. On a GPU machine the same tests check the working case.
 */
class CudaUnavailableTest {

    @Test
    void openSaysWhyItCannotRunOrWorks() {
        try (CudaBackend backend = CudaBackend.open()) {
            assertEquals("cuda", backend.name()); // a GPU machine
            assertFalse(backend.gemmAttempts().isEmpty());
        } catch (BackendUnavailableException e) {
            String reason = e.getMessage();
            assertFalse(reason.isBlank());
            assertEquals(1, reason.lines().count(), "one line: " + reason);
            assertTrue(reason.length() < 300, reason);
            if (reason.contains("libcuda")) {
                assertEquals("no CUDA driver: libcuda.so.1 not found", reason);
            }
        }
    }

    @Test
    void aSecondOpenGivesTheSameReason() {
        String first = reasonOrNull();
        assertEquals(first, reasonOrNull());
    }

    private static String reasonOrNull() {
        try (CudaBackend backend = CudaBackend.open()) {
            return backend.name() == null ? "unnamed" : null;
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        }
    }

    @Test
    void aDeviceThatDoesNotExistIsNamed() {
        try (CudaBackend backend = CudaBackend.open(1000)) {
            throw new AssertionError("device 1000 opened: " + backend.description());
        } catch (BackendUnavailableException e) {
            String reason = e.getMessage();
            assertTrue(reason.startsWith("no CUDA") || reason.contains("device 1000"), reason);
        }
    }

    @Test
    void infoReportsEveryPieceWithoutThrowing() {
        List<String> report = CudaInfo.report();
        assertTrue(report.size() >= 3, String.join("\n", report));
        assertTrue(report.stream().anyMatch(l -> l.startsWith("kernel image: ")), String.join("\n", report));
        assertTrue(report.stream().anyMatch(l -> l.startsWith("JCuda driver: ")), String.join("\n", report));
        assertTrue(report.stream().anyMatch(l -> l.startsWith("cuFFT: loaded, ")
                || l.startsWith("cuFFT: not available: ")), String.join("\n", report));
        assertTrue(report.stream().anyMatch(l -> l.startsWith("--device auto: ")), String.join("\n", report));
        for (String line : report) {
            assertEquals(1, line.lines().count(), "one line each: " + line);
        }
        if (reasonOrNull() != null) {
            assertTrue(report.get(report.size() - 1).startsWith("--device auto: cpu ("), String.join("\n", report));
        }
    }

    @Test
    void nativeLoadErrorsAreSummarizedToTheMissingLibrary() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Stack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot "
                + "open shared object file: No such file or directory\n";
        assertEquals("libcuda.so.1 not found", NativeLoadErrors.summarize(jcuda));
        assertEquals("something else", NativeLoadErrors.summarize("something else\nmore"));
    }
}
