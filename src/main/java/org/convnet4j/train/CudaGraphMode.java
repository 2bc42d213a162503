package org.convnet4j.train;

import java.util.Locale;

/**
 * Whether the trainer replays its training step as a CUDA graph ({@code --cuda-graph}): AUTO where the
 * backend is the CUDA one and the capture works (falling back to eager steps, with the reason printed,
 * where it does not), ON always (an error where it cannot), OFF never.
 */
public enum CudaGraphMode {
    AUTO, ON, OFF;

    /** "auto", "on" or "off", any case. */
    public static CudaGraphMode parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--cuda-graph: expected auto, on or off, got " + value);
        }
    }
}
