package org.convnet4j.tensor;

/**
 * A dense NCHW tensor owned by a backend (host memory for the CPU backend, device memory for the
 * CUDA backend). Tensors are created and read through their backend; they are AutoCloseable, close()
 * is idempotent, and any use after close throws {@link IllegalStateException}.
 *
 * <p>A view made by {@link #reshape(Shape)} shares its parent's storage and frees nothing when closed.
 */
public abstract class Tensor implements AutoCloseable {
    private final Shape shape;
    private final DataType dataType;
    private boolean closed;

    protected Tensor(Shape shape, DataType dataType) {
        this.shape = shape;
        this.dataType = dataType;
    }

    public final Shape shape() {
        return shape;
    }

    public final DataType dataType() {
        return dataType;
    }

    /** Number of elements. */
    public final int size() {
        return shape.size();
    }

    /** Name of the backend that owns this tensor ("cpu", "cuda"). */
    public abstract String backendName();

    /**
     * A tensor with the same elements in the same order and another shape of the same size. It shares
     * storage with this one, and must not be used after this one is closed.
     */
    public abstract Tensor reshape(Shape newShape);

    public final boolean isClosed() {
        return closed;
    }

    /** Throws IllegalStateException if this tensor was closed. */
    public final void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tensor " + shape + " (" + backendName() + ") used after close");
        }
    }

    protected final void checkReshape(Shape newShape) {
        checkOpen();
        if (newShape.size() != shape.size()) {
            throw new IllegalArgumentException("cannot reshape " + shape + " (" + shape.size()
                    + " elements) to " + newShape + " (" + newShape.size() + " elements)");
        }
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /** Frees the storage; called once by close(). Views free nothing. */
    protected abstract void release();

    @Override
    public String toString() {
        return "Tensor" + shape + " " + dataType + " on " + backendName() + (closed ? " (closed)" : "");
    }
}
