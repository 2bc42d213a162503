package org.convnet4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;

import org.convnet4j.backend.cuda.CudaBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The stream example of docs/embedding.md: quoted as it is, and on a GPU, relu then our own copy. */
class StreamExampleTest {
    @Test
    @Tag("gpu")
    void yourCopyRunsAfterOurReluOnTheBackendsStream() {
        try (CudaBackend gpu = DocQuote.gpuOrSkip()) {
            float[] input = new float[1 << 20];
            float[] want = new float[input.length];
            for (int i = 0; i < input.length; i++) {
                input[i] = (i % 7) - 3.5f;
                want[i] = Math.max(0f, input[i]);
            }
            assertArrayEquals(want, StreamExample.reluThenOwnCopy(gpu, input));
        }
    }

    @Test
    void theDocQuotesTheExampleAsItIs() throws IOException {
        DocQuote.assertQuoted("src/test/java/org/convnet4j/examples/StreamExample.java",
                "## Your own work on our stream");
    }
}
