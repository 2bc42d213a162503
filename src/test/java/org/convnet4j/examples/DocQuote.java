package org.convnet4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.cuda.CudaBackend;

/** What the example tests share: the doc quotes the example as it is; a GPU backend, or the test skips. */
final class DocQuote {
    private DocQuote() {
    }

    /**
     * The code between "// begin example" and "// end example" of the example's source equals the first
     * ```java block of docs/embedding.md after heading (null: from the top), blank lines and indentation aside.
     */
    static void assertQuoted(String exampleSource, String heading) throws IOException {
        String source = Files.readString(Path.of(exampleSource));
        String doc = Files.readString(Path.of("docs/embedding.md"));
        String example = source.substring(source.indexOf("    // begin example\n") + "    // begin example\n".length(),
                source.indexOf("    // end example"));
        String section = heading == null ? doc : doc.substring(doc.indexOf(heading));
        String quoted = section.substring(section.indexOf("```java\n") + "```java\n".length());
        quoted = quoted.substring(0, quoted.indexOf("```"));
        assertEquals(strip(example), strip(quoted), "docs/embedding.md must quote " + exampleSource + " as it is");
    }

    /** CudaBackend.open(), or the calling test is skipped with the reason. */
    static CudaBackend gpuOrSkip() {
        try {
            return CudaBackend.open();
        } catch (BackendUnavailableException e) {
            assumeTrue(false, "no GPU: " + e.getMessage());
            return null;
        }
    }

    /** The non-blank lines, each without its leading and trailing blanks. */
    private static String strip(String code) {
        return String.join("\n", code.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    }
}
