package org.convnet4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs the embedding example of docs/embedding.md and checks it against a direct convolution and max pooling
 * written here; on the GPU too where one is available. Also checks that the doc quotes the example as it is.
 */
class EmbeddingExampleTest {
    private static final float[] IMAGE = {1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1};
    private static final float[] FILTER = {2, 0, 1, 0, 1, 2, 1, 0, 2};

    /** y[i][j] = sum over the 3x3 window of the zero-padded image, then the max of each 2x2 block. */
    private static float[] direct() {
        float[] conv = new float[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                float s = 0;
                for (int u = 0; u < 3; u++) {
                    for (int v = 0; v < 3; v++) {
                        int r = i + u - 1;
                        int c = j + v - 1;
                        if (r >= 0 && r < 4 && c >= 0 && c < 4) {
                            s += IMAGE[r * 4 + c] * FILTER[u * 3 + v];
                        }
                    }
                }
                conv[i * 4 + j] = s;
            }
        }
        float[] pooled = new float[4];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                pooled[i * 2 + j] = Math.max(Math.max(conv[8 * i + 2 * j], conv[8 * i + 2 * j + 1]),
                        Math.max(conv[8 * i + 4 + 2 * j], conv[8 * i + 4 + 2 * j + 1]));
            }
        }
        return pooled;
    }

    @Test
    void directFormulaGivesTheCourseNumbers() {
        // The course's worked example: conv = 7 12 10 2 / 4 15 16 10 / 10 6 15 6 / 8 10 4 3.
        assertArrayEquals(new float[] {15, 16, 10, 15}, direct());
    }

    @Test
    void runsOnTheCpu() {
        try (CpuBackend cpu = new CpuBackend()) {
            assertArrayEquals(direct(), EmbeddingExample.convolveAndPool(cpu));
            long afterFirst = cpu.memoryStats().bytesInUse(); // the im2col buffers the backend keeps
            assertArrayEquals(direct(), EmbeddingExample.convolveAndPool(cpu));
            assertEquals(afterFirst, cpu.memoryStats().bytesInUse(), "the example closes every tensor");
        }
    }

    @Test
    void mainPrintsTheConvolutionAndThePooling() {
        String out = captureMain();
        assertTrue(out.contains("conv2dForward:  [7.0, 12.0, 10.0, 2.0, 4.0, 15.0, 16.0, 10.0, 10.0, 6.0, 15.0, 6.0,"
                + " 8.0, 10.0, 4.0, 3.0]"), out);
        assertTrue(out.contains("maxPoolForward: [15.0, 16.0, 10.0, 15.0], switches [5, 6, 8, 10]"), out);
    }

    @Test
    @Tag("gpu")
    void runsOnTheGpuWhereThereIsOne() {
        try (Backend gpu = DocQuote.gpuOrSkip()) {
            assertArrayEquals(direct(), EmbeddingExample.convolveAndPool(gpu));
            long afterFirst = gpu.memoryStats().bytesInUse(); // the convolution workspace the backend keeps
            assertArrayEquals(direct(), EmbeddingExample.convolveAndPool(gpu));
            assertEquals(afterFirst, gpu.memoryStats().bytesInUse(), "the example closes every tensor");
        }
    }

    @Test
    void theDocQuotesTheExampleAsItIs() throws IOException {
        DocQuote.assertQuoted("src/test/java/org/convnet4j/examples/EmbeddingExample.java", null);
    }

    private static String captureMain() {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            EmbeddingExample.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        original.print(out);
        return out;
    }
}
