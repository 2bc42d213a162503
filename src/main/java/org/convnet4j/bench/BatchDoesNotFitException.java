package org.convnet4j.bench;

/**
 * A benchmark's batch does not fit in the memory of its device. The message says how much it needed
 * (the failed request, and a lower bound for the whole step) and how much the device had.
 */
public class BatchDoesNotFitException extends RuntimeException {
    public BatchDoesNotFitException(String message, Throwable cause) {
        super(message, cause);
    }
}
