package org.convnet4j.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A run directory's rules, in one place:
 * <ul>
 *   <li>it belongs to one run: a new run refuses a directory that {@link #holdsARun holds one}, and a resumed
 *       run refuses one whose latest checkpoint is of {@link #checkResumable another run}, before anything in
 *       it changes;</li>
 *   <li>every file is replaced atomically ({@link #write}): written to a temporary file beside it
 *       ({@code .NAME.<random>.tmp}), forced to disk, renamed over the target, and the directory forced
 *       so the rename itself survives a power cut;</li>
 *   <li>temporary files a killed run left behind are {@link #removeStaleTemporaries removed} when a run
 *       starts in the directory.</li>
 * </ul>
 */
public final class RunDirectory {
    /** Temporary files this package writes: ".NAME.<random>.tmp", and "summary.json.tmp" of older builds. */
    private static final Pattern TEMPORARY = Pattern.compile(
            "\\.(checkpoint-epoch-\\d+\\.ckpt|metrics\\.csv|summary\\.json|curves\\.png|filters\\.png)\\.[0-9a-f-]+\\.tmp"
                    + "|summary\\.json\\.tmp");

    private RunDirectory() {
    }

    /** Whether dir already has a metrics.csv or a checkpoint (a new run there would overwrite them). */
    public static boolean holdsARun(Path dir) {
        return Files.exists(dir.resolve(Trainer.METRICS)) || latestCheckpoint(dir) != null;
    }

    /**
     * Refuses (IllegalArgumentException naming both runs and how they differ) to resume the run of checkpoint
     * (whose header is header) into dir when dir holds another run: its latest checkpoint differs in a
     * hyper-parameter, a run id or the metrics history they share, or it has a metrics.csv but no checkpoint.
     * An empty or missing dir, and the checkpoint's own directory, are always accepted. Reads only.
     */
    public static void checkResumable(Path dir, Path checkpoint, CheckpointHeader header) {
        Path latest = latestCheckpoint(dir);
        if (latest == null) {
            if (Files.exists(dir.resolve(Trainer.METRICS))) {
                throw new IllegalArgumentException("run directory " + dir + " holds a " + Trainer.METRICS + " but no"
                        + " checkpoint, so it cannot be told apart from another run; resume " + checkpoint
                        + " into an empty directory or into its own");
            }
            return;
        }
        if (sameFile(latest, checkpoint)) {
            return;
        }
        List<String> differences = header.differencesFrom(Checkpoint.readHeader(latest));
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("run directory " + dir + " holds another run than " + checkpoint
                    + ": its latest checkpoint " + latest.getFileName() + " has " + String.join(", ", differences)
                    + "; resuming there would mix the two runs. Resume into an empty directory or into the"
                    + " checkpoint's own, so nothing of the other run is overwritten");
        }
    }

    /** The highest-epoch checkpoint in dir, or null when it has none (or does not exist). */
    static Path latestCheckpoint(Path dir) {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try {
            return CheckpointFiles.resolve(dir);
        } catch (CheckpointException e) {
            return null;
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** Deletes the temporary files of an earlier, killed run in dir; returns how many. */
    public static int removeStaleTemporaries(Path dir) throws IOException {
        int removed = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (TEMPORARY.matcher(p.getFileName().toString()).matches() && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /** A new temporary file name beside file, matched by {@link #removeStaleTemporaries}. */
    static Path temporaryFor(Path file) {
        return file.toAbsolutePath().resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
    }

    /** Replaces file by bytes atomically and durably (see the class comment). */
    public static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = temporaryFor(file);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            commit(tmp, file);
            tmp = null;
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Renames tmp (already forced to disk) over file atomically, then forces the directory. */
    static void commit(Path tmp, Path file) throws IOException {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * Forces dir's entries (a rename) to disk. Where a directory cannot be opened for that (Windows), the
     * file system orders renames itself and there is nothing to do.
     */
    static void syncDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (AccessDeniedException | UnsupportedOperationException e) {
            return;
        }
        try (ch) {
            ch.force(true);
        }
    }

    /** Deletes dir when it exists and is empty (a run that failed before writing anything); true if deleted. */
    static boolean deleteIfEmpty(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            if (files.findAny().isEmpty()) {
                Files.delete(dir);
                return true;
            }
        } catch (IOException e) {
            // left as it is: an empty directory is harmless, and the run's own error matters more
        }
        return false;
    }
}
