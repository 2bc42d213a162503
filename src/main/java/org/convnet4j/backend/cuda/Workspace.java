package org.convnet4j.backend.cuda;

/**
 * One block of device scratch memory, shared by the ops of a backend that need one (the convolution's
 * columns, the softmax loss's per-row losses): kept between ops and grown through the pool when an op
 * needs more than it holds. Ops run one at a time on the backend's stream, so they never overlap in it.
 */
final class Workspace {
    private final DevicePool pool;
    private DevicePool.Block block;

    Workspace(DevicePool pool) {
        this.pool = pool;
    }

    /** The address of at least bytes of scratch memory; its content is whatever the last op left. */
    long address(long bytes) {
        if (block == null || block.requestedBytes() < bytes) {
            if (block != null) {
                pool.release(block);
                block = null;
            }
            block = pool.acquire(bytes);
        }
        return block.address();
    }

    /** Forgets the block without releasing it, for a backend closing its whole pool. */
    void forget() {
        block = null;
    }
}
