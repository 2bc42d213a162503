package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.convnet4j.backend.DropoutMask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the kernels of kernels/*.cu on the CPU (kernels/hosttest: a CUDA shim, AddressSanitizer) against
 * double-precision references, with the launch sequences CudaBackend uses, one op family at a time (the checks
 * of kernels/F.cu are in kernels/hosttest/F_test.cpp); and checks that the dropout kernel's mask equals
 * {@link DropoutMask} bit for bit. Needs g++ (C++20), not a GPU; skipped without g++.
 */
class KernelHostTest {
    private static Path buildDir;

    @BeforeAll
    static void needsGxx() throws URISyntaxException {
        assumeTrue(onPath("g++"), "no g++: the kernels' CPU emulation cannot be built here");
        Path testClasses = Path.of(KernelHostTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        buildDir = testClasses.getParent().resolve("kernel-hosttest");
    }

    /** The families: the names of the kernel files, kernels/F.cu. */
    static Stream<String> families() throws IOException {
        try (Stream<Path> files = Files.list(KernelSignatures.kernelsDir())) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cu"))
                    .map(n -> n.substring(0, n.length() - ".cu".length())).sorted().toList().stream();
        }
    }

    @Test
    void everyKernelFileHasItsHostTestsAndNoOtherFamilyIsRegistered() throws IOException, InterruptedException {
        List<String> kernelFiles = families().toList();
        for (String family : kernelFiles) {
            assertTrue(Files.isRegularFile(Path.of("kernels/hosttest", family + "_test.cpp")),
                    "kernels/" + family + ".cu has no kernels/hosttest/" + family + "_test.cpp");
        }
        Result r = run("--list");
        assertEquals(0, r.exit, r.output);
        // registered in the order run.sh includes the tests (convolution_fft_test.cpp before convolution_test.cpp)
        assertEquals(kernelFiles, r.output.lines().sorted().toList(), "the families registered with HOSTTEST_FAMILY");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void everyKernelOfTheFamilyMatchesItsReference(String family) throws IOException, InterruptedException {
        Result r = run(family);
        assertEquals(0, r.exit, r.output);
        String summary = r.output.lines().filter(l -> l.startsWith(family + ": ")).findFirst().orElse("");
        assertTrue(summary.matches(family + ": [1-9]\\d* passed, 0 failed"), r.output);
        System.out.println("kernels/hosttest " + summary);
    }

    @Test
    void theDropoutKernelMaskIsDropoutMaskBitForBit() throws IOException, InterruptedException {
        long seed = 0x5DEECE66DL;
        float p = 0.37f;
        int n = 3000;
        Result r = run("--dropout-mask", Long.toUnsignedString(seed), Float.toString(p), Integer.toString(n));
        assertEquals(0, r.exit, r.output);
        List<String> lines = r.output.lines().filter(l -> l.matches("[0-9a-f]{8}")).toList();
        assertEquals(n, lines.size(), r.output);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            int expected = Float.floatToRawIntBits(DropoutMask.value(seed, i, p));
            assertEquals(expected, Integer.parseUnsignedInt(lines.get(i), 16), "mask element " + i);
            kept += expected != 0 ? 1 : 0;
        }
        assertTrue(kept > n / 2 && kept < n * 3 / 4, "about 63% kept, got " + kept);
    }

    private record Result(int exit, String output) {
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", "kernels/hosttest/run.sh", buildDir.toString()));
        command.addAll(List.of(args));
        Path log = Files.createTempFile("kernel-hosttest", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("kernels/hosttest/run.sh took more than 10 minutes");
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.delete(log);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
