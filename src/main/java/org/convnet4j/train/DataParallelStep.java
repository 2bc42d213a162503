package org.convnet4j.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Phaser;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
import org.convnet4j.distributed.AllReduce;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The training step of N replicas of a network, each on its own backend, driven by one thread per replica
 * (so CPU replicas compute in parallel):
 * <ol>
 *   <li>the global batch of B items order[first .. first+B) is split into N consecutive shards; shard i has
 *       n_i = B / N items, plus one for the first B % N shards ({@link #shardSizes});</li>
 *   <li>each replica runs forward and its mean loss loss_i over its shard, recorded with its correct count in
 *       its own {@link BatchTally} (nothing is read back during a step). Read together ({@link #tallies}),
 *       a step's loss is sum_i n_i * loss_i / B, its correct count the sum of the replicas';</li>
 *   <li>each replica scales its loss gradient dlogits = (p - onehot) / n_i by n_i / B (a GEMM with the
 *       identity, one rounding), so its backward gives the gradient of (sum of its shard's item losses) / B,
 *       being linear in dlogits; the sum over the replicas is then the gradient of the mean loss over the
 *       global batch. N = 1 skips the scaling;</li>
 *   <li>backward runs with a probe that marks each top-level node done; the trainable parameters, walked from
 *       the last to the first, form buckets of about bucketBytes each ({@link GradientBuckets}), and a bucket
 *       is all-reduced ({@link AllReduce#allReduceSum}, one call per parameter) as soon as every replica
 *       has finished the backward of every node owning one of its parameters, while the earlier layers are
 *       still ahead. The replicas meet at a barrier per bucket and the last to arrive issues the calls, so no
 *       backend is used by two threads at once: on CUDA the calls only enqueue and the backward of the
 *       earlier layers overlaps them; on the CPU the reduction runs at the barrier. Buckets whose nodes the probe never
 *       names are reduced after backward;</li>
 *   <li>after {@link AllReduce#await}, every replica runs the same optimizer step on the same summed
 *       gradients, so the replicas' parameters stay bit-identical.</li>
 * </ol>
 * A replica that throws stops the others: the first failure terminates the step's barrier (a {@link Phaser}),
 * so every replica waiting there, or arriving later, stops at once, and the step throws
 * {@link DataParallelException} naming the replica (out-of-memory errors pass unwrapped). A failed
 * all-reduce stops the step the same way. No wait outlives a failure. The step owns the replicas' networks,
 * losses, optimizers, batch sources and tallies and closes them; the backends and the all-reduce are the caller's.
 */
final class DataParallelStep implements AutoCloseable {
    /** The default bucket size: 25 MiB, as DDP's bucket_cap_mb. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    /**
     * One replica: its network (initialized on its backend), loss, optimizer, the source of its shards
     * (batches of n_i items) and the tally of its per-step losses and correct counts, all on its backend.
     */
    record Replica(Network net, SoftmaxCrossEntropyLoss loss, Optimizer optimizer, BatchSource batches,
                   BatchTally tally) {
    }

    private final List<Replica> replicas;
    private final AllReduce allReduce;
    private final int batch;
    /** The local replicas' shard sizes: global ranks firstRank .. firstRank+N-1 of shardSizes(batch, world). */
    private final int[] shards;
    /** Items of the global batch before this process's first shard. */
    private final int offset;
    /** The replicas' per-step losses and correct counts, combined over the global batch. */
    private final ReplicaTallies tallies;
    private final List<List<Parameter>> params = new ArrayList<>();
    /** Replica 0's trainable parameters in buckets, reduced as the backward makes them ready. */
    private final GradientBuckets buckets;
    private final ExecutorService pool;
    private final Tensor[] identity;
    private final Tensor[] scaled;
    /** The running step's barrier: one phase per bucket, the bucket reduced when the last replica arrives. */
    private volatile Phaser barrier;
    /** The bucket the barrier reduces next in the running step. */
    private int nextBucket;
    private int slot;
    /** The failures of the running step, in the order they were caught; the first stops every replica. */
    private final List<Failure> failures = Collections.synchronizedList(new ArrayList<>());

    /** replica -1: the all-reduce. secondary: the replica only stopped because another failed. */
    private record Failure(int replica, Throwable error, boolean secondary) {
    }

    /**
     * A step over replicas reducing through allReduce, whose localReplicas() must be N: local replica i is
     * global rank allReduce.firstRank() + i of allReduce.worldSize() (several processes: each drives its own
     * ranks), and its loader holds {@link #localShards} items.
     */
    DataParallelStep(List<Replica> replicas, AllReduce allReduce, int batch, long bucketBytes) {
        int n = replicas.size();
        if (allReduce.localReplicas() != n) {
            throw new IllegalArgumentException("data parallel: " + n + " replicas but the all-reduce has "
                    + allReduce.localReplicas() + " local ones");
        }
        int[] globalShards = shardSizes(batch, allReduce.worldSize());
        this.shards = localShards(batch, allReduce);
        int before = 0;
        for (int g = 0; g < allReduce.firstRank(); g++) {
            before += globalShards[g];
        }
        this.offset = before;
        for (int r = 0; r < n; r++) {
            int items = replicas.get(r).batches().images().shape().n();
            if (items != shards[r]) {
                throw new IllegalArgumentException("data parallel: replica " + r + "'s batches hold " + items
                        + " items, its shard of " + batch + " has " + shards[r]);
            }
        }
        if (bucketBytes < 1) {
            throw new IllegalArgumentException("data parallel: bucket size must be >= 1 byte, got " + bucketBytes);
        }
        this.replicas = List.copyOf(replicas);
        this.allReduce = allReduce;
        this.batch = batch;
        this.tallies = new ReplicaTallies(replicas, allReduce, globalShards, batch);
        for (Replica p : replicas) {
            params.add(p.net().parameters());
        }
        this.buckets = new GradientBuckets(replicas.get(0).net(), bucketBytes);
        this.identity = new Tensor[n];
        this.scaled = new Tensor[n];
        AtomicInteger count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "convnet4j-replica-" + count.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A step over config.dataParallel() replicas of config.model(), replica r on backends.get(r) (initialized
     * from config.seed() + its global rank, so dropout layers draw their own seeds;
     * {@link #broadcastFromReplica0} then makes the parameters equal), with the optimizer of config, batches
     * from sources (a backend and a shard size) and tallies of steps steps.
     */
    static DataParallelStep create(TrainConfig config, int classes, List<Backend> backends, AllReduce allReduce,
                                   BiFunction<Backend, Integer, BatchSource> sources, int steps) {
        int[] shards = localShards(config.batch(), allReduce);
        List<Replica> replicas = new ArrayList<>();
        List<AutoCloseable> made = new ArrayList<>();
        try {
            for (int r = 0; r < backends.size(); r++) {
                Backend b = backends.get(r);
                Network net = Models.create(config.model(), classes);
                made.add(net);
                net.initialize(b, Models.batchInputShape(config.model(), shards[r]),
                        config.seed() + allReduce.firstRank() + r);
                SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(b);
                made.add(loss);
                Optimizer optimizer = Optimizers.create(config.optimizer(), b, config.lr(), config.weightDecay());
                made.add(optimizer);
                BatchSource batches = sources.apply(b, shards[r]);
                made.add(batches);
                BatchTally tally = new BatchTally(b, steps, shards[r]);
                made.add(tally);
                replicas.add(new Replica(net, loss, optimizer, batches, tally));
            }
            return new DataParallelStep(replicas, allReduce, config.batch(), DEFAULT_BUCKET_BYTES);
        } catch (RuntimeException | Error e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    made.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Shard sizes of a batch of b items over n replicas: b / n each, the first b % n one more. */
    public static int[] shardSizes(int b, int n) {
        if (n < 1 || b < n) {
            throw new IllegalArgumentException("data parallel: a batch of " + b + " cannot be split over " + n
                    + " replicas; each needs at least one item (batch >= replicas >= 1)");
        }
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = b / n + (i < b % n ? 1 : 0);
        }
        return s;
    }

    /** The shards of this process's ranks: shardSizes(b, worldSize) from firstRank, localReplicas of them. */
    static int[] localShards(int b, AllReduce allReduce) {
        int first = allReduce.firstRank();
        return Arrays.copyOfRange(shardSizes(b, allReduce.worldSize()), first, first + allReduce.localReplicas());
    }

    /** The buckets, each a list of trainable parameter names in the order they are reduced. */
    public List<List<String>> buckets() {
        return buckets.names();
    }

    public int replicaCount() {
        return replicas.size();
    }

    public Replica replica(int r) {
        return replicas.get(r);
    }

    /** The replicas' losses and correct counts per step, read after the steps ran. */
    StepTally tallies() {
        return tallies;
    }

    /** The shard sizes of every step (n_i). */
    public int[] shards() {
        return shards.clone();
    }

    /**
     * Copies every parameter (trainable values and state such as batch norm's running statistics), the
     * optimizer state and step count of replica 0 to the others: at the start of a run and after replica 0
     * loaded a checkpoint.
     */
    public void broadcastFromReplica0() {
        for (int i = 0; i < params.get(0).size(); i++) {
            int index = i;
            allReduce.broadcast(each(r -> params.get(r).get(index).value()), 0);
        }
        Optimizer first = replicas.get(0).optimizer();
        if (!first.state().isEmpty()) {
            for (int r = 1; r < replicas.size(); r++) {
                replicas.get(r).optimizer().allocateState(params.get(r));
            }
        }
        for (String key : first.state().keySet()) {
            allReduce.broadcast(each(r -> stateTensor(r, key)), 0);
        }
        for (Replica p : replicas) {
            p.optimizer().restoreSteps(first.steps());
        }
        allReduce.await();
    }

    private Tensor stateTensor(int r, String key) {
        Tensor t = replicas.get(r).optimizer().state().get(key);
        if (t == null) {
            throw new IllegalStateException("data parallel: replica " + r + "'s optimizer has no state " + key
                    + " after allocating it; replica 0's has");
        }
        return t;
    }

    private List<Tensor> each(java.util.function.IntFunction<Tensor> tensor) {
        List<Tensor> list = new ArrayList<>(replicas.size());
        for (int r = 0; r < replicas.size(); r++) {
            list.add(tensor.apply(r));
        }
        return list;
    }

    /** Sets every replica's learning rate. */
    public void setLearningRate(float lr) {
        for (Replica p : replicas) {
            p.optimizer().setLearningRate(lr);
        }
    }

    /** Sets every replica's order of items (see {@link BatchSource#order}). */
    void order(int epoch, int[] order) {
        for (Replica p : replicas) {
            p.batches().order(epoch, order);
        }
    }

    /**
     * One step on the global batch order[first .. first+B): each replica loads its shard (on this thread,
     * one after the other), then the replicas compute in parallel as the class comment says, each recording
     * its loss and correct count in its tally at slot. Nothing is read back: {@link #tallies} does.
     *
     * @throws DataParallelException a replica threw (its index and error inside)
     */
    void run(int first, int slot) {
        int offset = first + this.offset;
        for (int r = 0; r < replicas.size(); r++) {
            replicas.get(r).batches().load(offset);
            offset += shards[r];
        }
        this.slot = slot;
        nextBucket = 0;
        failures.clear();
        barrier = new Phaser(replicas.size()) {
            @Override
            protected boolean onAdvance(int phase, int parties) {
                try {
                    reduceBucket();
                } catch (RuntimeException | Error e) {
                    failures.add(new Failure(-1, e, false));
                    return true; // terminates: every replica stops
                }
                return false;
            }
        };
        CountDownLatch done = new CountDownLatch(replicas.size());
        for (int r = 0; r < replicas.size(); r++) {
            int replica = r;
            pool.execute(() -> {
                try {
                    if (failures.isEmpty()) {
                        replicaStep(replica);
                    }
                } catch (Throwable e) {
                    fail(replica, e);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            fail(-1, e);
            Thread.currentThread().interrupt();
            throw new DataParallelException("data parallel: interrupted while the replicas ran a step", -1, e);
        }
        if (!failures.isEmpty()) {
            throw rethrow(failures.stream().filter(f -> !f.secondary()).findFirst().orElse(failures.get(0)));
        }
    }

    private void replicaStep(int r) {
        Replica p = replicas.get(r);
        Tensor logits = p.net().forward(p.batches().images(), true);
        Tensor loss = p.loss().forwardOnDevice(logits, p.batches().labels());
        p.tally().predict(logits);
        p.tally().record(p.batches().labels(), shards[r], loss, slot);
        p.net().zeroGrad();
        Tensor dy = scaleToGlobalBatch(r, p.loss().backward());
        GradientBuckets.Probe probe = buckets.probe(barrier);
        p.net().backward(dy, false, probe);
        probe.reduceReady(true);
        p.optimizer().step(params.get(r));
    }

    /** dlogits * n_r / B through a GEMM with the identity [K, K] (exact product, one rounding by alpha). */
    private Tensor scaleToGlobalBatch(int r, Tensor dlogits) {
        if (shards[r] == batch) {
            return dlogits;
        }
        Backend backend = replicas.get(r).net().backend();
        Shape shape = dlogits.shape();
        int k = shape.sizePerItem();
        if (identity[r] == null) {
            float[] eye = new float[k * k];
            for (int i = 0; i < k; i++) {
                eye[i * k + i] = 1f;
            }
            identity[r] = backend.tensor(Shape.of(k, k), eye);
            scaled[r] = backend.allocate(Shape.of(shape.n(), k));
        }
        backend.gemm(dlogits.reshape(Shape.of(shape.n(), k)), false, identity[r], false, scaled[r],
                (float) (shards[r] / (double) batch), 0f);
        return scaled[r].reshape(shape);
    }

    /** Reduces the next bucket: runs in the last thread to reach the barrier, while the others wait there. */
    private void reduceBucket() {
        for (int i : buckets.parameters(nextBucket)) {
            allReduce.allReduceSum(each(r -> params.get(r).get(i).grad()));
        }
        nextBucket++;
        if (nextBucket == buckets.size()) {
            allReduce.await();
        }
    }

    /** Records a failure; the first terminates the barrier, which stops every replica at it. */
    private void fail(int replica, Throwable e) {
        boolean secondary = e instanceof GradientBuckets.Stopped || e instanceof InterruptedException;
        failures.add(new Failure(replica, e, secondary));
        barrier.forceTermination();
    }

    private RuntimeException rethrow(Failure f) {
        Throwable e = f.error();
        if (e instanceof Error err) {
            throw err;
        }
        if (e instanceof DeviceOutOfMemoryException oom) {
            return oom;
        }
        return new DataParallelException("data parallel: " + (f.replica() < 0 ? "the all-reduce"
                : "replica " + f.replica() + " of " + replicas.size()) + " failed: " + e, f.replica(), e);
    }

    /** Stops the replica threads and closes what the replicas hold. Idempotent. */
    @Override
    public void close() {
        pool.shutdownNow();
        List<AutoCloseable> owned = new ArrayList<>();
        for (int r = 0; r < replicas.size(); r++) {
            Replica p = replicas.get(r);
            Collections.addAll(owned, p.optimizer(), p.loss(), p.tally(), p.batches(), p.net());
            if (identity[r] != null) {
                Collections.addAll(owned, identity[r], scaled[r]);
                identity[r] = null;
            }
        }
        RuntimeException first = null;
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("data parallel: closing a replica failed: " + e, e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
