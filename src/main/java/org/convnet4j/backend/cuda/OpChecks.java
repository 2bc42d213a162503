package org.convnet4j.backend.cuda;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/** Argument checks of the backend ops: each throws IllegalArgumentException naming the op and the shapes. */
final class OpChecks {
    private OpChecks() {
    }

    static void sameShape(String op, String what, Tensor t, Shape expected) {
        if (!t.shape().equals(expected)) {
            throw new IllegalArgumentException(op + ": " + what + " must be " + expected + ", got " + t.shape());
        }
    }

    static void sameSize(String op, String what, Tensor t, int expected, String expectedFrom) {
        if (t.size() != expected) {
            throw new IllegalArgumentException(op + ": " + what + " " + t.shape() + " must have " + expected
                    + " elements (" + expectedFrom + "), got " + t.size());
        }
    }

    static void rank(String op, String what, Tensor t, int rank) {
        if (t.shape().rank() != rank) {
            throw new IllegalArgumentException(op + ": " + what + " must have rank " + rank + ", got " + t.shape());
        }
    }

    static void minRank(String op, String what, Tensor t, int rank) {
        if (t.shape().rank() < rank) {
            throw new IllegalArgumentException(op + ": " + what + " must have rank >= " + rank + ", got " + t.shape());
        }
    }

    static void type(String op, String what, Tensor t, DataType type) {
        if (t.dataType() != type) {
            throw new IllegalArgumentException(op + ": " + what + " " + t.shape() + " must be " + type + ", got "
                    + t.dataType());
        }
    }

    static void notNull(String op, String what, Object o) {
        if (o == null) {
            throw new IllegalArgumentException(op + ": " + what + " must not be null");
        }
    }
}
