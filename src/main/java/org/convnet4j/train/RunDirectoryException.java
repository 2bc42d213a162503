package org.convnet4j.train;

/**
 * A file of a run directory (metrics.csv, summary.json) could not be written: a full disk, a read-only
 * directory. The message names the file and the cause in one paragraph; the run's last checkpoint is
 * intact and --resume continues from it.
 */
public class RunDirectoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RunDirectoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
