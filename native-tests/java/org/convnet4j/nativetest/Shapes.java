package org.convnet4j.nativetest;

import java.util.Arrays;

import org.convnet4j.tensor.Shape;

/** Shapes written as "2x3x4x5" in test parameters. */
final class Shapes {
    private Shapes() {
    }

    static Shape parse(String dims) {
        return Shape.of(Arrays.stream(dims.trim().split("x")).mapToInt(Integer::parseInt).toArray());
    }
}
