package org.convnet4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.convnet4j.tensor.Shape;

/**
 * The images of an {@link ImageFolder} as model inputs: each copied item is decoded from its file and
 * passed through an {@link ImageTransform}, on the threads of a {@link DecodePool}, one task per item.
 *
 * <p>Augmentation: a training set (augment true) draws item i's crop and flip from a generator seeded by
 * (seed, epoch, i) alone, so the floats of an epoch do not depend on the thread count, on the batch the item
 * falls in or on what was decoded before; {@link #copyBatch} uses epoch 0, {@link #forEpoch} the given one.
 * A test set (augment false) always takes the centre crop without flipping.
 *
 * <p>At construction every file's header is read (on the pool) to fail before training when a file is not
 * a JPEG or PNG or is too small for the transform; a file whose header reads but whose pixels do not stops
 * the run when its batch comes, naming the file.
 */
public final class ImageFolderDataset implements Dataset {
    private static final int HEADER_CHUNK = 256;

    private final String name;
    private final ImageFolder folder;
    private final ImageTransform transform;
    private final boolean augment;
    private final long seed;
    private final DecodePool pool;
    private final Shape itemShape;
    private final Map<String, Object> notes;

    /**
     * The images of folder through transform; augment: draw crops and flips (training); notes: added to
     * {@link #describe} (where the test set came from).
     */
    public ImageFolderDataset(String name, ImageFolder folder, ImageTransform transform, boolean augment, long seed,
                              DecodePool pool, Map<String, Object> notes) {
        this.name = name;
        this.folder = folder;
        this.transform = transform;
        this.augment = augment;
        this.seed = seed;
        this.pool = pool;
        this.itemShape = Shape.of(transform.channels(), transform.size(), transform.size());
        this.notes = Map.copyOf(notes);
        checkHeaders();
    }

    public ImageFolder folder() {
        return folder;
    }

    public ImageTransform transform() {
        return transform;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return folder.size();
    }

    @Override
    public Shape itemShape() {
        return itemShape;
    }

    @Override
    public int numClasses() {
        return folder.classes().size();
    }

    @Override
    public int label(int index) {
        return folder.labels()[index];
    }

    @Override
    public void copyBatch(int[] indices, int from, int count, float[] images, int[] labels) {
        join(decode(0, indices, from, count, images, labels));
    }

    /** Reads batch after batch of order ahead of the trainer ({@link ReadAhead}). */
    @Override
    public Dataset forEpoch(int epoch, int[] order, int batch) {
        return new ReadAhead(this, epoch, order, batch, pool.readAhead());
    }

    /** True: its batches are decoded ahead, every epoch (and augmented where the set augments). */
    @Override
    public boolean variesPerEpoch() {
        return true;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("root", folder.root().toString());
        m.put("items", size());
        m.put("classes", folder.classes());
        m.put("skipped_files", folder.skipped().size());
        m.put("augment", augment);
        m.put("transform", transform.toMap());
        m.putAll(notes);
        return m;
    }

    /**
     * Starts decoding items indices[from .. from+count) of epoch into images and labels, one task per item;
     * the future completes when all have (exceptionally with the first failure).
     */
    CompletableFuture<Void> decode(int epoch, int[] indices, int from, int count, float[] images, int[] labels) {
        int itemSize = transform.itemSize();
        CompletableFuture<?>[] items = new CompletableFuture<?>[count];
        Executor executor = pool.executor();
        for (int b = 0; b < count; b++) { // all checked before any task writes into images
            if (indices[from + b] < 0 || indices[from + b] >= size()) {
                throw new IndexOutOfBoundsException(name + ": item " + indices[from + b] + " outside [0, " + size() + ")");
            }
        }
        for (int b = 0; b < count; b++) {
            int index = indices[from + b];
            int offset = b * itemSize;
            labels[b] = label(index);
            items[b] = CompletableFuture.runAsync(() -> decodeItem(epoch, index, images, offset), executor);
        }
        return CompletableFuture.allOf(items);
    }

    private void decodeItem(int epoch, int index, float[] out, int offset) {
        Path file = folder.files().get(index);
        DecodedImage img = ImageDecoder.decode(file, transform.channels());
        try {
            transform.apply(img, augment ? new SplittableRandom(itemSeed(seed, epoch, index)) : null, out, offset);
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** The seed of item index's augmentation in epoch: SplitMix64 of seed, epoch and index combined. */
    static long itemSeed(long seed, int epoch, int index) {
        long z = seed + 0x9E3779B97F4A7C15L * (((long) epoch << 32) + index + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Waits for f, rethrowing a decoding failure as itself (it names the file). */
    static void join(CompletableFuture<?> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Reads every file's header, HEADER_CHUNK files per task; throws for the first bad file in item order. */
    private void checkHeaders() {
        List<Path> files = folder.files();
        List<CompletableFuture<List<RuntimeException>>> chunks = new ArrayList<>();
        for (int from = 0; from < files.size(); from += HEADER_CHUNK) {
            List<Path> part = files.subList(from, Math.min(files.size(), from + HEADER_CHUNK));
            chunks.add(CompletableFuture.supplyAsync(() -> {
                List<RuntimeException> bad = new ArrayList<>();
                for (Path file : part) {
                    try {
                        checkHeader(file);
                    } catch (RuntimeException e) {
                        bad.add(e);
                    }
                }
                return bad;
            }, pool.executor()));
        }
        List<RuntimeException> failures = chunks.stream().flatMap(c -> c.join().stream()).toList();
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            throw failures.size() == 1 ? first : new DataFormatException(first.getMessage() + " (and "
                    + (failures.size() - 1) + " more bad file(s) in " + folder.root() + ")", first);
        }
    }

    private void checkHeader(Path file) {
        int[] wh = ImageDecoder.size(file);
        int[] r = transform.resized(wh[0], wh[1]);
        if (r[0] < transform.size() || r[1] < transform.size()) {
            throw new DataFormatException(file + " is " + wh[0] + "x" + wh[1] + " pixels, smaller than the"
                    + " model's input " + transform.size() + "x" + transform.size() + " with --resize 0;"
                    + " resize the images (give --resize) or remove this one");
        }
    }
}
