package org.convnet4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The labelled files of an image folder: one subfolder per class, class names in sorted order giving
 * the labels 0, 1, ... (as torchvision's and DJL's ImageFolder), files in each class sorted by name, class
 * after class. Item i is files().get(i) with label labels()[i].
 *
 * <p>What {@link #scan} accepts: .jpg, .jpeg and .png files (any case) one level down. It skips, and
 * counts, everything else a user would expect to be ignored: files of other types, hidden files and
 * folders (names starting with "."), files lying directly in the root, folders nested inside a class.
 * It refuses (DataFormatException naming the path) a root that is not a folder, a root with no class
 * folders, and a class folder with no image file.
 *
 * @param root    the folder scanned
 * @param classes class names, sorted; label k is classes.get(k)
 * @param files   image files, class by class, sorted by name inside a class
 * @param labels  label of each file
 * @param skipped paths skipped, in the order found (to report how many and which)
 */
public record ImageFolder(Path root, List<String> classes, List<Path> files, int[] labels, List<Path> skipped) {

    /** Reads the folder structure under root (file contents are not read). */
    public static ImageFolder scan(Path root) {
        if (!Files.isDirectory(root)) {
            throw new DataFormatException("image folder " + root + " does not exist or is not a folder; expected a"
                    + " folder with one subfolder of .jpg/.png images per class");
        }
        List<Path> skipped = new ArrayList<>();
        List<Path> classDirs = new ArrayList<>();
        for (Path p : list(root)) {
            if (Files.isDirectory(p) && !hidden(p)) {
                classDirs.add(p);
            } else {
                skipped.add(p);
            }
        }
        if (classDirs.isEmpty()) {
            throw new DataFormatException("image folder " + root + " has no class folders; expected one subfolder"
                    + " of .jpg/.png images per class (" + root.resolve("cat") + "/1.jpg, " + root.resolve("dog")
                    + "/1.jpg, ...)");
        }
        List<String> classes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path dir : classDirs) {
            int before = files.size();
            for (Path f : list(dir)) {
                if (Files.isRegularFile(f) && !hidden(f) && ImageDecoder.isImageName(f.getFileName().toString())) {
                    files.add(f);
                    labels.add(classes.size());
                } else {
                    skipped.add(f);
                }
            }
            if (files.size() == before) {
                throw new DataFormatException("class folder " + dir + " holds no .jpg, .jpeg or .png file; every class"
                        + " needs at least one image (remove the folder if the class is not wanted)");
            }
            classes.add(dir.getFileName().toString());
        }
        return new ImageFolder(root, List.copyOf(classes), List.copyOf(files),
                labels.stream().mapToInt(Integer::intValue).toArray(), List.copyOf(skipped));
    }

    public int size() {
        return files.size();
    }

    /**
     * Splits off a test set: in each class, round(fraction * n) of its n files, chosen by a shuffle seeded
     * from (seed, class), go to the test set ({@link #subset} of them), the rest to the training set.
     * Returns {train, test}; fails when a side would be empty.
     */
    public ImageFolder[] split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("--test-split must lie in (0, 1), got " + fraction);
        }
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        int start = 0;
        for (int k = 0; k < classes.size(); k++) {
            int end = start;
            while (end < labels.length && labels[end] == k) {
                end++;
            }
            List<Integer> items = new ArrayList<>();
            for (int i = start; i < end; i++) {
                items.add(i);
            }
            Collections.shuffle(items, new java.util.Random(new SplittableRandom(seed + k).nextLong()));
            int nTest = (int) Math.round(fraction * items.size());
            test.addAll(items.subList(0, nTest));
            train.addAll(items.subList(nTest, items.size()));
            start = end;
        }
        if (train.isEmpty() || test.isEmpty()) {
            throw new IllegalArgumentException("--test-split " + fraction + " of " + root + " (" + size() + " images)"
                    + " leaves the " + (train.isEmpty() ? "training" : "test") + " set empty");
        }
        Collections.sort(train);
        Collections.sort(test);
        return new ImageFolder[] {subset(train), subset(test)};
    }

    /** The items at the given indices (same classes, nothing skipped). */
    ImageFolder subset(List<Integer> indices) {
        List<Path> f = new ArrayList<>();
        int[] l = new int[indices.size()];
        for (int i = 0; i < l.length; i++) {
            f.add(files.get(indices.get(i)));
            l[i] = labels[indices.get(i)];
        }
        return new ImageFolder(root, classes, List.copyOf(f), l, List.of());
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new DataFormatException("cannot list image folder " + dir + ": " + e, e);
        }
    }
}
