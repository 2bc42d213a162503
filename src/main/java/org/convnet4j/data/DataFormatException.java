package org.convnet4j.data;

/**
 * A data file or data directory that cannot be used: wrong magic number, truncated, wrong dimensions,
 * a label out of range, a checksum that does not match, or files that are missing. The message is one
 * paragraph naming the file and what is wrong. Unchecked, so the CLI reports it as a runtime error.
 */
public class DataFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
