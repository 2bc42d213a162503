package org.convnet4j.distributed;

import java.util.List;
import org.convnet4j.tensor.Tensor;

/**
 * The gradient exchange of data-parallel training: tensors of one shape, one per replica, summed over every
 * replica of the run and the sum left in each. A run has {@link #worldSize()} replicas in all; this process
 * drives {@link #localReplicas()} of them, and every list passed here holds exactly that many tensors, in
 * local replica order, each on its own replica's backend.
 *
 * <p>Calls are collective: every process of the run makes the same calls, in the same order, with tensors
 * of the same shapes. A call may only enqueue the work (on a device, on a communication stream that waits
 * for what the replica's backend queued before it); {@link #await()} orders every later operation of each
 * replica's backend after all reductions issued so far. Bucketing the gradients, so that the reduction of
 * the last layers overlaps the backward of the first, is the caller's, which issues one call per bucket.
 *
 * <p>Implementations: an in-process one for CPU backends, with a fixed summation order (deterministic), and
 * NCCL for CUDA backends (one process driving several devices, or one process per machine).
 */
public interface AllReduce extends AutoCloseable {
    /** Replicas in the whole run, over every process. */
    int worldSize();

    /** Replicas driven by this process: the size of every list passed to the calls below. */
    int localReplicas();

    /** Global rank of this process's first local replica (the others follow it). */
    int firstRank();

    /**
     * Leaves in every tensor of buffers the element-wise sum of that tensor over all worldSize replicas.
     *
     * @throws IllegalArgumentException buffers has not localReplicas() tensors, or their shapes or dtypes differ
     */
    void allReduceSum(List<Tensor> buffers);

    /**
     * Copies the tensor of the replica with global rank root into every replica's tensor (the parameters at
     * the start of a run).
     *
     * @throws IllegalArgumentException as for allReduceSum, or root is not a rank of the run
     */
    void broadcast(List<Tensor> buffers, int root);

    /** Orders every later operation of each local replica's backend after the reductions issued so far. */
    void await();

    /** What the reductions run on, for logs and `info` ("in-process, 4 CPU replicas", "NCCL 2.27.3, ..."). */
    String description();

    @Override
    void close();
}
