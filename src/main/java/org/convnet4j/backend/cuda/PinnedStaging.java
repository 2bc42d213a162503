package org.convnet4j.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/**
 * A ring of pinned (page-locked) host buffers for copies between Java arrays and the device: the driver
 * copies from pinned memory asynchronously, while a Java array may move under it. Each buffer carries an
 * event recorded after the copy that used it; {@link #next} waits for that event before handing the buffer
 * out again, so with two buffers an upload waits for the upload before the previous one, not for the
 * stream. A buffer grows (freed and allocated again, after its event) when a copy needs more.
 */
final class PinnedStaging implements AutoCloseable {
    private final Buffer[] ring;
    private int turn;

    PinnedStaging(int buffers) {
        ring = new Buffer[buffers];
        for (int i = 0; i < buffers; i++) {
            ring[i] = new Buffer();
        }
    }

    /** The next buffer of the ring, holding at least bytes, once the last copy that used it is done. */
    Buffer next(long bytes) {
        Buffer b = ring[turn];
        turn = (turn + 1) % ring.length;
        b.await();
        b.uses++;
        b.ensure(bytes);
        b.bytes.clear();
        return b;
    }

    @Override
    public void close() {
        for (Buffer b : ring) {
            b.free();
        }
    }

    /** One pinned buffer and the event of its last copy. */
    static final class Buffer {
        private final Pointer host = new Pointer();
        private final CUevent done = new CUevent();
        private ByteBuffer bytes;
        private long capacity;
        private boolean pending;
        private long uses;

        Buffer() {
            JCudaDriver.cuEventCreate(done, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        }

        Pointer host() {
            return host;
        }

        /** The buffer's bytes, native order, position 0. */
        ByteBuffer bytes() {
            return bytes;
        }

        /** Records, on stream, that the copy just issued from or to this buffer is done. */
        void issued(CudaStream stream) {
            JCudaDriver.cuEventRecord(done, stream.cuStream());
            pending = true;
        }

        /** How many times {@link #next} handed this buffer out: a reader checks that its copy is still here. */
        long uses() {
            return uses;
        }

        /** Waits for the last copy issued from or to this buffer. */
        void await() {
            if (pending) {
                JCudaDriver.cuEventSynchronize(done);
                pending = false;
            }
        }

        private void ensure(long need) {
            if (need <= capacity) {
                return;
            }
            if (need > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a host copy of " + need + " bytes is over the 2 GiB a staging"
                        + " buffer holds; copy it in parts");
            }
            if (capacity > 0) {
                JCudaDriver.cuMemFreeHost(host);
            }
            long size = Math.max(need, 1 << 16);
            JCudaDriver.cuMemAllocHost(host, size);
            capacity = size;
            bytes = host.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        }

        private void free() {
            await();
            if (capacity > 0) {
                JCudaDriver.cuMemFreeHost(host);
                capacity = 0;
            }
            JCudaDriver.cuEventDestroy(done);
        }
    }
}
