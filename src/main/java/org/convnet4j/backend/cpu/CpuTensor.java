package org.convnet4j.backend.cpu;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * A tensor in host memory: a float[] (FLOAT32) or int[] (INT32) holding its elements in row-major
 * (NCHW) order, owned by a {@link CpuBackend}. A {@link #reshape} view shares the array and frees
 * nothing when closed; once the tensor that owns the storage is closed, the backend rejects the view
 * too (IllegalStateException).
 */
public final class CpuTensor extends Tensor {
    private final CpuBackend owner;
    private final float[] floats;
    private final int[] ints;
    /** The tensor that owns the storage; this for a root tensor. */
    private final CpuTensor root;

    CpuTensor(CpuBackend owner, Shape shape, DataType dataType) {
        super(shape, dataType);
        this.owner = owner;
        this.floats = dataType == DataType.FLOAT32 ? new float[shape.size()] : null;
        this.ints = dataType == DataType.INT32 ? new int[shape.size()] : null;
        this.root = this;
    }

    private CpuTensor(CpuTensor parent, Shape shape) {
        super(shape, parent.dataType());
        this.owner = parent.owner;
        this.floats = parent.floats;
        this.ints = parent.ints;
        this.root = parent.root;
    }

    @Override
    public String backendName() {
        return "cpu";
    }

    @Override
    public CpuTensor reshape(Shape newShape) {
        checkReshape(newShape);
        if (root.isClosed()) {
            throw new IllegalStateException("cannot reshape " + shape() + ": the tensor it views was closed");
        }
        return new CpuTensor(this, newShape);
    }

    /** The backend that allocated this tensor. */
    CpuBackend owner() {
        return owner;
    }

    /** True when this tensor and the tensor owning its storage are both open. */
    boolean isUsable() {
        return !isClosed() && !root.isClosed();
    }

    boolean isView() {
        return root != this;
    }

    /** The float storage of t, a FLOAT32 CpuTensor (shared with its views); null when t is null. */
    static float[] floats(Tensor t) {
        return t == null ? null : ((CpuTensor) t).floats;
    }

    /** The int storage of t, an INT32 CpuTensor (shared with its views). */
    static int[] ints(Tensor t) {
        return ((CpuTensor) t).ints;
    }

    /** Bytes of storage this tensor owns (0 for a view). */
    long ownedBytes() {
        return isView() ? 0 : (long) size() * dataType().bytes();
    }

    @Override
    protected void release() {
        if (!isView()) {
            owner.released(this);
        }
    }
}
