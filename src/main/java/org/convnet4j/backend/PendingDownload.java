package org.convnet4j.backend;

/**
 * A download started by {@link Backend#downloadLater} and not waited for: the device copies the tensor to
 * the host behind the work issued before it, while the host goes on issuing work.
 */
@FunctionalInterface
public interface PendingDownload {
    /**
     * The tensor's values as they were when the download was started (after every op issued before it);
     * waits for the copy when it is not done yet.
     *
     * @throws IllegalStateException when the buffer the copy went to was reused by a later download
     */
    float[] get();
}
