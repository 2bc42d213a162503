package org.convnet4j.backend;

/**
 * How a convolution or pooling treats an output size (H + 2P - D*(FH-1) - 1)/S + 1 that is not a whole
 * number.
 */
public enum OutputRounding {
    /** Reject it with IllegalArgumentException (the default: a silent crop is usually a bug). */
    EXACT,
    /**
     * Round down, dropping the last rows and columns the window cannot reach, as cuDNN and PyTorch do.
     * Opt in for networks defined that way (AlexNet "one weird trick" on 224x224 input).
     */
    FLOOR
}
