package org.convnet4j.distributed;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The {@link AllReduce} of replicas in this process, through host memory: each call downloads every
 * replica's tensor with its own backend, combines them on the calling thread and uploads the result to each.
 * Any backend works; it is meant for CPU replicas (on GPUs every call is a round trip through the host).
 *
 * <p>The sum is deterministic: element j of the result is
 * {@code (float) (((double) x0[j] + x1[j]) + ... + x(N-1)[j])}, accumulated in double in replica order and
 * rounded to float once, so the same inputs give the same bits on every call and every machine, whatever
 * the thread that calls. Every replica receives the same bits.
 *
 * <p>Calls are synchronous: each returns when every replica's tensor holds the result, so {@link #await()}
 * has nothing to wait for. A call uses every replica's backend from the calling thread: the caller makes
 * sure no replica's backend is in use by another thread meanwhile ({@link org.convnet4j.backend.SingleThreadGuard}
 * would refuse it). One process, so worldSize = localReplicas and firstRank = 0. Not thread-safe: one call
 * at a time (its host buffers are reused).
 */
public final class InProcessAllReduce implements AllReduce {
    private final List<Backend> backends;
    /** Host buffers by element count (a download fills exactly a tensor's size), reused by every call. */
    private final Map<Integer, float[]> hostBuffers = new HashMap<>();
    private double[] sum = new double[0];
    private boolean closed;

    /** An all-reduce over one replica per backend, in list order (replica i on backends.get(i)). */
    public InProcessAllReduce(List<Backend> backends) {
        if (backends == null || backends.isEmpty() || backends.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("in-process all-reduce: needs one backend per replica (at least"
                    + " one, none null), got " + backends);
        }
        this.backends = List.copyOf(backends);
    }

    @Override
    public int worldSize() {
        return backends.size();
    }

    @Override
    public int localReplicas() {
        return backends.size();
    }

    @Override
    public int firstRank() {
        return 0;
    }

    @Override
    public void allReduceSum(List<Tensor> buffers) {
        float[] host = check("allReduceSum", buffers);
        int n = host.length;
        Arrays.fill(sum, 0, n, 0.0);
        for (int r = 0; r < backends.size(); r++) {
            backends.get(r).download(buffers.get(r), host);
            for (int j = 0; j < n; j++) {
                sum[j] += host[j];
            }
        }
        for (int j = 0; j < n; j++) {
            host[j] = (float) sum[j];
        }
        upload(buffers, -1, host);
    }

    @Override
    public void broadcast(List<Tensor> buffers, int root) {
        float[] host = check("broadcast", buffers);
        if (root < 0 || root >= backends.size()) {
            throw new IllegalArgumentException("in-process all-reduce: broadcast root " + root + " is not a rank of"
                    + " the run; ranks are 0.." + (backends.size() - 1));
        }
        backends.get(root).download(buffers.get(root), host);
        upload(buffers, root, host);
    }

    /** Uploads values into every buffer except skip's. */
    private void upload(List<Tensor> buffers, int skip, float[] values) {
        for (int r = 0; r < backends.size(); r++) {
            if (r != skip) {
                backends.get(r).upload(values, buffers.get(r));
            }
        }
    }

    /** Checks buffers (one open FLOAT32 tensor per replica, one shape); returns the host buffer of their size. */
    private float[] check(String op, List<Tensor> buffers) {
        if (closed) {
            throw new IllegalStateException("in-process all-reduce: " + op + " after close");
        }
        int n = checkBuffers("in-process all-reduce", op, buffers, backends.size()).size();
        if (sum.length < n) {
            sum = new double[n];
        }
        return hostBuffers.computeIfAbsent(n, float[]::new);
    }

    /**
     * Checks that buffers holds one open FLOAT32 tensor per local replica, all of one shape, and returns it;
     * the messages start with who and name op.
     *
     * @throws IllegalArgumentException naming the replica and what was expected
     */
    static Shape checkBuffers(String who, String op, List<Tensor> buffers, int replicas) {
        if (buffers == null || buffers.size() != replicas) {
            throw new IllegalArgumentException(who + ": " + op + " needs one tensor per replica (" + replicas
                    + "), got " + (buffers == null ? "null" : buffers.size()));
        }
        Shape shape = null;
        for (int r = 0; r < buffers.size(); r++) {
            Tensor t = buffers.get(r);
            if (t == null || t.isClosed() || t.dataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException(who + ": " + op + ": replica " + r + "'s tensor is "
                        + (t == null ? "null" : t) + "; expected an open FLOAT32 tensor");
            }
            if (shape == null) {
                shape = t.shape();
            } else if (!shape.equals(t.shape())) {
                throw new IllegalArgumentException(who + ": " + op + ": replica " + r + "'s tensor has shape "
                        + t.shape() + " but replica 0's has " + shape + "; every replica passes the same shape");
            }
        }
        return shape;
    }

    /** Nothing is pending: every call has finished when it returns. */
    @Override
    public void await() {
        if (closed) {
            throw new IllegalStateException("in-process all-reduce: await after close");
        }
    }

    @Override
    public String description() {
        return "in-process, " + backends.size() + " replica" + (backends.size() == 1 ? "" : "s")
                + " (host sum in double, replica order)";
    }

    /** Drops the host buffers; later calls throw IllegalStateException. Idempotent. */
    @Override
    public void close() {
        closed = true;
        hostBuffers.clear();
        sum = new double[0];
    }
}
