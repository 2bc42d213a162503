package org.convnet4j.data;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training and test sets of an image-folder run and the decode pool they share (close it when done).
 * The test set is either a second folder, whose class names must equal the training folder's, or a seeded
 * per-class split of the training folder ({@link ImageFolder#split}). The training set augments, the test
 * set takes centre crops. Both record, through {@link Dataset#describe}, where the test set came from, so
 * a checkpoint can be resumed or evaluated with the same sets ({@link #fromRecord}).
 *
 * @param train the training set (null when opened for evaluation only)
 * @param test  the test set
 * @param pool  the decoding threads
 */
public record ImageFolderSets(ImageFolderDataset train, ImageFolderDataset test, DecodePool pool)
        implements AutoCloseable {

    /**
     * Scans trainDir and testDir (or splits testSplit of trainDir off when testDir is null) and opens both
     * sets with transform, decoding on threads threads (0: all processors). withTrain false: the test set
     * only (the training images' headers are not read).
     */
    public static ImageFolderSets open(Path trainDir, Path testDir, double testSplit, ImageTransform transform,
                                       long seed, int threads, boolean withTrain) {
        ImageFolder all = ImageFolder.scan(trainDir);
        ImageFolder trainFolder;
        ImageFolder testFolder;
        Map<String, Object> source = new LinkedHashMap<>();
        if (testDir != null) {
            trainFolder = all;
            testFolder = ImageFolder.scan(testDir);
            if (!testFolder.classes().equals(all.classes())) {
                throw new DataFormatException("the test folder " + testDir + " has classes " + testFolder.classes()
                        + " but the training folder " + trainDir + " has " + all.classes() + "; both need the same"
                        + " class folders (the same names give the same labels)");
            }
            source.put("test_dir", testDir.toString());
        } else if (testSplit > 0) {
            ImageFolder[] parts = all.split(testSplit, seed);
            trainFolder = parts[0];
            testFolder = parts[1];
            source.put("test_split", testSplit);
        } else {
            throw new IllegalArgumentException("an image folder needs a test set: give --test-dir DIR (same class"
                    + " folders) or --test-split F (a seeded fraction F of each class)");
        }
        DecodePool pool = new DecodePool(threads, DecodePool.DEFAULT_READ_AHEAD);
        try {
            return new ImageFolderSets(withTrain
                    ? new ImageFolderDataset(name(trainDir, "train"), trainFolder, transform, true, seed, pool, source)
                    : null,
                    new ImageFolderDataset(name(testDir != null ? testDir : trainDir, "test"), testFolder, transform,
                            false, seed, pool, source),
                    pool);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * The sets a run recorded ({@code describe()} of its training set, as a checkpoint holds it), with the
     * same transform and test set; fails when the folder's classes are no longer the recorded ones.
     */
    @SuppressWarnings("unchecked")
    public static ImageFolderSets fromRecord(Path trainDir, Map<String, Object> record, long seed, int threads,
                                             boolean withTrain) {
        Object testDir = record.get("test_dir");
        Number split = (Number) record.get("test_split");
        ImageFolderSets sets = open(trainDir, testDir == null ? null : Path.of((String) testDir),
                split == null ? 0 : split.doubleValue(), ImageTransform.fromMap((Map<String, Object>) record.get("transform")),
                seed, threads, withTrain);
        List<?> classes = (List<?>) record.get("classes");
        if (!sets.test.folder().classes().equals(classes)) {
            sets.close();
            throw new DataFormatException("image folder " + trainDir + " now has classes " + sets.test.folder().classes()
                    + " but the run was trained on " + classes + "; the labels would not mean the same");
        }
        return sets;
    }

    /** One line for people, of sets opened with their training set: classes, images, files skipped (and the first). */
    public String report() {
        List<Path> skipped = train.folder().skipped();
        return String.format(java.util.Locale.ROOT, "image folder: %d classes, %,d training and %,d test images (%s),"
                        + " %d decoding threads; %s%s", train.numClasses(), train.size(), test.size(),
                train.describe().containsKey("test_dir") ? "test folder" : "seeded split", pool.threads(),
                train.transform(), skipped.isEmpty() ? "" : "; skipped " + skipped.size() + " non-image file(s) or"
                        + " folder(s), e.g. " + skipped.get(0));
    }

    private static String name(Path dir, String role) {
        Path n = dir.toAbsolutePath().normalize().getFileName();
        return (n == null ? "folder" : n.toString()) + "-" + role;
    }

    @Override
    public void close() {
        pool.close();
    }
}
