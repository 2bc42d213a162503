package org.convnet4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Names of a run's checkpoint files ("checkpoint-epoch-003.ckpt") and finding the latest. */
public final class CheckpointFiles {
    private static final Pattern NAME = Pattern.compile("checkpoint-epoch-(\\d+)\\.ckpt");

    private CheckpointFiles() {
    }

    /** The checkpoint file for epoch in runDir. */
    public static Path forEpoch(Path runDir, int epoch) {
        return runDir.resolve(String.format("checkpoint-epoch-%03d.ckpt", epoch));
    }

    /**
     * The checkpoint a --resume argument names: the file itself, or the highest-epoch checkpoint in a run
     * directory. CheckpointException when there is none.
     */
    public static Path resolve(Path fileOrDir) {
        if (Files.isRegularFile(fileOrDir)) {
            return fileOrDir;
        }
        if (!Files.isDirectory(fileOrDir)) {
            throw new CheckpointException("Cannot resume from " + fileOrDir + ": no such file or directory.");
        }
        Path best = null;
        int bestEpoch = -1;
        try (Stream<Path> files = Files.list(fileOrDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && Integer.parseInt(m.group(1)) > bestEpoch) {
                    bestEpoch = Integer.parseInt(m.group(1));
                    best = p;
                }
            }
        } catch (IOException e) {
            throw new CheckpointException("Cannot list " + fileOrDir + ": " + e, e);
        }
        if (best == null) {
            throw new CheckpointException("Cannot resume from " + fileOrDir + ": it holds no checkpoint-epoch-NNN.ckpt"
                    + " file.");
        }
        return best;
    }
}
