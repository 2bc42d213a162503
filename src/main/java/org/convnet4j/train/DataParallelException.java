package org.convnet4j.train;

/** A replica of a data-parallel step failed; the cause is its error. */
public final class DataParallelException extends RuntimeException {
    private final int replica;

    public DataParallelException(String message, int replica, Throwable cause) {
        super(message, cause);
        this.replica = replica;
    }

    /** The index of the replica that failed first (-1: the step was interrupted from outside). */
    public int replica() {
        return replica;
    }
}
