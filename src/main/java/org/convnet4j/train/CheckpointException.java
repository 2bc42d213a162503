package org.convnet4j.train;

/**
 * A checkpoint that cannot be written, or read back into a model: truncated, corrupt (checksum), not a
 * convnet4j checkpoint, another format version, or written for another model. The message is one
 * paragraph naming the file and what is wrong.
 */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
