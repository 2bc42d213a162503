package org.convnet4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The op family is the unit a reader navigates by (docs/architecture.md, "Op families"): from a family's
 * name alone, e.g. softmax_loss, a newcomer finds kernels/softmax_loss.cu, CpuSoftmaxLoss, CudaSoftmaxLoss,
 * CpuSoftmaxLossTest, the native SoftmaxLossOpsTest, kernels/hosttest/softmax_loss_test.cpp and the JMH
 * SoftmaxLossBenchmark. A family is a kernel file; a second kernel file of a family (an algorithm variant)
 * is named family_variant.cu and needs its own CUDA class and host test only.
 */
class OpFamiliesTest {

    @Test
    void everyFamilyHasItsFilesInEveryTree() throws IOException {
        List<String> stems = kernelStems();
        assertFalse(stems.isEmpty(), "no kernels/*.cu found (tests run from the project root)");
        List<String> missing = new ArrayList<>();
        for (String stem : stems) {
            String family = camel(stem);
            List<String> expected = new ArrayList<>(List.of(
                    "src/main/java/org/convnet4j/backend/cuda/Cuda" + family + ".java",
                    "kernels/hosttest/" + stem + "_test.cpp"));
            if (variantOf(stem, stems) == null) {
                expected.addAll(List.of(
                        "src/main/java/org/convnet4j/backend/cpu/Cpu" + family + ".java",
                        "src/test/java/org/convnet4j/backend/cpu/Cpu" + family + "Test.java",
                        "native-tests/java/org/convnet4j/nativetest/" + family + "OpsTest.java",
                        "benchmarks/java/org/convnet4j/bench/" + family + "Benchmark.java"));
            }
            for (String path : expected) {
                if (!Files.isRegularFile(Path.of(path))) {
                    missing.add(stem + ": " + path);
                }
            }
        }
        assertEquals(List.of(), missing, "files of an op family are missing");
    }

    @Test
    void camelCaseOfAFamilyName() {
        assertEquals("SoftmaxLoss", camel("softmax_loss"));
        assertEquals("ConvolutionWinograd", camel("convolution_winograd"));
    }

    /** The stems of kernels/*.cu: "convolution", "softmax_loss", ... */
    static List<String> kernelStems() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("kernels"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu"))
                    .map(n -> n.substring(0, n.length() - 3)).sorted().toList();
        }
    }

    /** The family stem is a variant of ("convolution" for "convolution_winograd"), or null for a family. */
    static String variantOf(String stem, List<String> stems) {
        return stems.stream().filter(s -> !s.equals(stem) && stem.startsWith(s + "_")).findFirst().orElse(null);
    }

    /** softmax_loss -> SoftmaxLoss. */
    public static String camel(String stem) {
        StringBuilder b = new StringBuilder();
        for (String part : stem.split("_")) {
            b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return b.toString();
    }
}
