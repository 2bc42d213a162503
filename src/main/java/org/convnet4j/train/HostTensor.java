package org.convnet4j.train;

import org.convnet4j.tensor.Shape;

/** A tensor's shape and float32 values in host memory, as a checkpoint stores them. */
public record HostTensor(Shape shape, float[] values) {
    public HostTensor {
        if (values.length != shape.size()) {
            throw new IllegalArgumentException("HostTensor: " + values.length + " values for shape " + shape);
        }
    }
}
