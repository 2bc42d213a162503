package org.convnet4j.distributed;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.NcclAllReduce;

/** Chooses the {@link AllReduce} for the backends of one process's replicas. */
public final class AllReduces {
    private AllReduces() {
    }

    /** {@link #forBackends(List, Consumer)}, saying nothing when NCCL cannot be used. */
    public static AllReduce forBackends(List<Backend> backends) {
        return forBackends(backends, line -> { });
    }

    /**
     * The all-reduce over one replica per backend (replica i on backends.get(i)), all in this process: NCCL
     * ({@link NcclAllReduce#local}) for CUDA backends on distinct devices, else {@link InProcessAllReduce}
     * (CPU backends; CUDA backends where NCCL does not load or two share a device: correct, through host
     * memory), with one line to log saying why NCCL was not used.
     *
     * @throws IllegalArgumentException backends is empty, holds null, or mixes backend kinds
     */
    public static AllReduce forBackends(List<Backend> backends, Consumer<String> log) {
        checkKinds(backends);
        if (backends.get(0) instanceof CudaBackend) {
            try {
                return NcclAllReduce.local(backends.stream().map(CudaBackend.class::cast).toList());
            } catch (BackendUnavailableException | IllegalArgumentException e) {
                log.accept("data parallel: NCCL cannot be used, the gradients are summed through host memory"
                        + " instead: " + e.getMessage());
            }
        }
        return new InProcessAllReduce(backends);
    }

    /**
     * The all-reduce of this process's replicas in a run over several processes (one per machine): NCCL
     * ranks group.rank() * L .. of group.world() * L, the processes meeting at the {@link TcpRendezvous}
     * ({@link NcclAllReduce#join}) for CUDA backends; {@link TcpAllReduce} (through rank 0's host, not a
     * performance path) for CPU backends.
     *
     * @param token what must agree between the processes (model, batch, ...)
     * @throws IllegalArgumentException            backends is empty or mixes kinds
     * @throws TcpRendezvous.RendezvousException   the processes did not meet, and why
     * @throws BackendUnavailableException         NCCL does not load, and why
     */
    public static AllReduce forProcesses(List<Backend> backends, ProcessGroupOptions group, String token,
                                         Duration timeout) {
        checkKinds(backends);
        if (!(backends.get(0) instanceof CudaBackend)) {
            return TcpAllReduce.join(backends, group, token, timeout);
        }
        return NcclAllReduce.join(backends.stream().map(CudaBackend.class::cast).toList(), group, token, timeout);
    }

    private static void checkKinds(List<Backend> backends) {
        if (backends == null || backends.isEmpty() || backends.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("data parallel: needs one backend per replica, got " + backends);
        }
        for (Backend b : backends) {
            if (b.getClass() != backends.get(0).getClass()) {
                throw new IllegalArgumentException("data parallel: every replica needs the same kind of backend, got "
                        + backends.get(0).name() + " and " + b.name());
            }
        }
    }
}
