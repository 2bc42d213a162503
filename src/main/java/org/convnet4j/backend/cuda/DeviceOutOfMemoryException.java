package org.convnet4j.backend.cuda;

/**
 * The device had no memory for an allocation even after the pool freed its cache. The message gives the
 * bytes asked for, the bytes the pool has in use, and the bytes free on the device. The pool still works.
 */
public class DeviceOutOfMemoryException extends RuntimeException {
    public DeviceOutOfMemoryException(String message) {
        super(message);
    }
}
