package org.convnet4j.tensor;

/** Element types a tensor can hold. */
public enum DataType {
    /** 32-bit IEEE float: activations, weights, gradients. */
    FLOAT32,
    /** 32-bit signed integer: class labels, max-pooling switches, argmax results. */
    INT32;

    /** Bytes per element. */
    public int bytes() {
        return 4;
    }
}
