package org.convnet4j.backend;

/**
 * A backend cannot be used on this machine. The message is the reason, for people, e.g.
 * "no CUDA driver: libcuda.so.1 not found" or "no CUDA device 1: this machine has 1 device".
 */
public class BackendUnavailableException extends RuntimeException {

    public BackendUnavailableException(String reason) {
        super(reason);
    }

    public BackendUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
