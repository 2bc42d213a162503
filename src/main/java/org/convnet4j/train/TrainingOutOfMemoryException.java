package org.convnet4j.train;

/**
 * A training run needed more memory than the Java heap or the GPU had. The message is one paragraph
 * naming the model, the batch, the memory that ran out and what to change (--batch, or the heap size).
 */
public class TrainingOutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingOutOfMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
