package org.convnet4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.cuda.CudaBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The stream example of docs/embedding.md: quoted as it is, and on a GPU, relu then our own copy. */
class StreamExampleTest {
    private static final String HEADING = "## Your own work on our stream";

    @Test
    @Tag("gpu")
    void yourCopyRunsAfterOurReluOnTheBackendsStream() {
        CudaBackend gpu;
        try {
            gpu = CudaBackend.open();
        } catch (BackendUnavailableException e) {
            assumeTrue(false, "no GPU: " + e.getMessage());
            return;
        }
        try (gpu) {
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
        String source = Files.readString(Path.of("src/test/java/org/convnet4j/examples/StreamExample.java"));
        String doc = Files.readString(Path.of("docs/embedding.md"));
        String example = source.substring(source.indexOf("    // begin example\n") + "    // begin example\n".length(),
                source.indexOf("    // end example"));
        String section = doc.substring(doc.indexOf(HEADING));
        String quoted = section.substring(section.indexOf("```java\n") + "```java\n".length());
        quoted = quoted.substring(0, quoted.indexOf("```"));
        assertEquals(strip(example), strip(quoted), "docs/embedding.md must quote StreamExample as it is");
    }

    private static String strip(String code) {
        return String.join("\n", code.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    }
}
