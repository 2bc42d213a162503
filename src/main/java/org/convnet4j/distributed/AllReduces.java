package org.convnet4j.distributed;

import java.util.List;
import org.convnet4j.backend.Backend;

/** Chooses the {@link AllReduce} for the backends of one process's replicas. */
public final class AllReduces {
    private AllReduces() {
    }

    /**
     * The all-reduce over one replica per backend (replica i on backends.get(i)), all in this process.
     * Today that is {@link InProcessAllReduce} for every backend kind: for CUDA backends it is correct but
     * goes through host memory; NCCL (one process driving every device) replaces it there.
     *
     * @throws IllegalArgumentException backends is empty, holds null, or mixes backend kinds
     */
    public static AllReduce forBackends(List<Backend> backends) {
        if (backends == null || backends.isEmpty() || backends.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("data parallel: needs one backend per replica, got " + backends);
        }
        for (Backend b : backends) {
            if (b.getClass() != backends.get(0).getClass()) {
                throw new IllegalArgumentException("data parallel: every replica needs the same kind of backend, got "
                        + backends.get(0).name() + " and " + b.name());
            }
        }
        return new InProcessAllReduce(backends);
    }
}
