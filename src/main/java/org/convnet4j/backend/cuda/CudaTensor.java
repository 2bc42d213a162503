package org.convnet4j.backend.cuda;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * A tensor in device memory taken from the backend's {@link DevicePool}; close() gives the block back.
 * A view made by {@link #reshape} shares the block and frees nothing.
 */
final class CudaTensor extends Tensor {
    private final CudaBackend owner;
    private final DevicePool.Block block;
    private final CudaTensor parent;

    CudaTensor(CudaBackend owner, Shape shape, DataType dataType, DevicePool.Block block, CudaTensor parent) {
        super(shape, dataType);
        this.owner = owner;
        this.block = block;
        this.parent = parent;
    }

    CudaBackend owner() {
        return owner;
    }

    /** The raw device address; throws IllegalStateException after close (of this tensor or its parent). */
    long address() {
        checkOpen();
        if (parent != null) {
            parent.checkOpen();
        }
        return block.address();
    }

    /** Whether this tensor and the tensor it is a view of (if any) are both open. */
    boolean usable() {
        return !isClosed() && (parent == null || !parent.isClosed());
    }

    /** The raw device address of t, a tensor of a CUDA backend (checked at the seam before any op runs). */
    static long addressOf(Tensor t) {
        return ((CudaTensor) t).address();
    }

    /** Bytes of the elements (size * 4). */
    long bytes() {
        return (long) size() * dataType().bytes();
    }

    @Override
    public String backendName() {
        return "cuda";
    }

    @Override
    public Tensor reshape(Shape newShape) {
        checkReshape(newShape);
        return new CudaTensor(owner, newShape, dataType(), block, parent != null ? parent : this);
    }

    @Override
    protected void release() {
        if (parent == null) {
            owner.releaseBlock(block);
        }
    }
}
