package org.convnet4j.train;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.convnet4j.backend.Backend;
import org.convnet4j.distributed.AllReduce;
import org.convnet4j.distributed.AllReduces;
import org.convnet4j.distributed.ProcessGroupOptions;
import org.convnet4j.distributed.TcpRendezvous;

/**
 * The data-parallel set-up of a {@link Trainer}: the backends of its local replicas
 * ({@link Trainer#dataParallel}) and the processes it trains with ({@link Trainer#processes}), checked, and
 * the all-reduce that joins the replicas of every process.
 */
final class DataParallelSetup {
    private final TrainConfig config;
    /** The trainer's backend: replica 0's. */
    private final Backend backend;
    /** The replicas' backends of a data-parallel run (the first is backend); null until given. */
    private List<Backend> backends;
    /** The processes of a run over several machines, null for one process. */
    private ProcessGroupOptions group;
    private Duration timeout = TcpRendezvous.DEFAULT_TIMEOUT;

    DataParallelSetup(TrainConfig config, Backend backend) {
        this.config = config;
        this.backend = backend;
    }

    /** See {@link Trainer#dataParallel}. */
    void backends(List<Backend> backends) {
        if (backends.size() != config.dataParallel() || backends.get(0) != backend) {
            throw new IllegalArgumentException("data parallel: " + config.dataParallel() + " replicas need as many"
                    + " backends, the first the trainer's own; got " + backends.size());
        }
        this.backends = List.copyOf(backends);
    }

    /** See {@link Trainer#processes}. */
    void processes(ProcessGroupOptions group, Duration timeout) {
        this.group = group;
        this.timeout = timeout;
    }

    /** Whether the run trains replicas: config.dataParallel() &gt; 1, or several processes. */
    boolean replicated() {
        return config.dataParallel() > 1 || group != null;
    }

    /** Whether this process writes the run directory: rank 0, or the only process. */
    boolean writes() {
        return group == null || group.rank() == 0;
    }

    /**
     * The local replicas' backends: those given, or the trainer's alone when config.dataParallel() is 1.
     *
     * @throws IllegalStateException    config.dataParallel() &gt; 1 and no backends were given
     * @throws IllegalArgumentException cudaGraph is ON (the replicas' steps run eagerly)
     */
    List<Backend> replicaBackends(CudaGraphMode cudaGraph) {
        if (backends == null && config.dataParallel() == 1) {
            backends = List.of(backend);
        }
        if (backends == null) {
            throw new IllegalStateException("data parallel: " + config.dataParallel() + " replicas but no backends;"
                    + " call dataParallel(backends) first");
        }
        if (cudaGraph == CudaGraphMode.ON) {
            throw new IllegalArgumentException("--cuda-graph on does not apply to --data-parallel: the replicas' steps"
                    + " run eagerly (use auto or off)");
        }
        return backends;
    }

    /**
     * The all-reduce over replicas on the backends local ({@link #replicaBackends}): {@link AllReduces#forBackends}
     * in one process, else {@link AllReduces#forProcesses}, whose rendezvous checks that every process runs
     * config from the same checkpoint (ckpt, null for a new run).
     */
    AllReduce allReduce(List<Backend> local, Checkpoint ckpt, Consumer<String> log) {
        return group == null ? AllReduces.forBackends(local, log)
                : AllReduces.forProcesses(local, group, config + (ckpt == null ? "" : ", resumed after epoch "
                        + ckpt.header().epoch() + " at step " + ckpt.header().optimizerSteps()), timeout);
    }
}
