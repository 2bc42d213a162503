package org.convnet4j.train;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Phaser;
import java.util.function.Supplier;
import org.convnet4j.nn.Layer;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.NodeProbe;
import org.convnet4j.nn.Parameter;

/**
 * The gradient buckets of a data-parallel step ({@link DataParallelStep}): a network's trainable parameters,
 * walked from the last to the first, in buckets of about bucketBytes each (a bucket closes once its
 * parameters hold at least bucketBytes bytes of float32; the last takes what is left), each with the
 * top-level nodes owning its parameters. A bucket is ready to be all-reduced once the backward of every
 * one of its owners is done, which a {@link Probe} watches.
 */
final class GradientBuckets {
    private final List<Parameter> params;
    /** Trainable parameter indices (into params) per bucket, last layer's first. */
    private final List<int[]> buckets = new ArrayList<>();
    /** The top-level node names owning each bucket's parameters. */
    private final List<Set<String>> owners = new ArrayList<>();

    /** Thrown in a replica that a failure elsewhere stopped at a barrier. */
    static final class Stopped extends RuntimeException {
        Stopped(String message) {
            super(message);
        }
    }

    /** The buckets of net's parameters (net.parameters()), closing a bucket at bucketBytes. */
    GradientBuckets(Network net, long bucketBytes) {
        this.params = net.parameters();
        Map<Parameter, String> owner = new IdentityHashMap<>();
        for (Layer l : net.layers()) {
            for (Parameter p : l.parameters()) {
                owner.put(p, l.name());
            }
        }
        List<Integer> bucket = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long bytes = 0;
        for (int i = params.size() - 1; i >= 0; i--) {
            Parameter p = params.get(i);
            if (!p.isTrainable()) {
                continue;
            }
            bucket.add(i);
            names.add(owner.getOrDefault(p, p.name()));
            bytes += 4L * p.shape().size();
            if (bytes >= bucketBytes) {
                close(bucket, names);
                bytes = 0;
            }
        }
        if (!bucket.isEmpty()) {
            close(bucket, names);
        }
    }

    private void close(List<Integer> bucket, Set<String> names) {
        buckets.add(bucket.stream().mapToInt(Integer::intValue).toArray());
        owners.add(Set.copyOf(names));
        bucket.clear();
        names.clear();
    }

    /** How many buckets there are. */
    int size() {
        return buckets.size();
    }

    /** Bucket k's parameters: indices into the network's parameters(), in the order they are reduced. */
    int[] parameters(int k) {
        return buckets.get(k).clone();
    }

    /** The buckets, each a list of trainable parameter names in the order they are reduced. */
    List<List<String>> names() {
        List<List<String>> out = new ArrayList<>();
        for (int[] b : buckets) {
            List<String> names = new ArrayList<>();
            for (int i : b) {
                names.add(params.get(i).name());
            }
            out.add(names);
        }
        return out;
    }

    /** A probe for one replica's backward that meets the others at barrier as each bucket becomes ready. */
    Probe probe(Phaser barrier) {
        return new Probe(barrier);
    }

    /** Marks top-level nodes done during backward; meets the other replicas at each bucket that is ready. */
    final class Probe implements NodeProbe {
        private final Phaser barrier;
        private final Set<String> done = new HashSet<>();
        private int next;

        private Probe(Phaser barrier) {
            this.barrier = barrier;
        }

        @Override
        public <T> T run(String node, String type, boolean backward, Supplier<T> call) {
            T out = call.get();
            if (backward) {
                done.add(node);
                reduceReady(false);
            }
            return out;
        }

        /** Meets the others at every next bucket whose owners are done (all remaining ones after backward). */
        void reduceReady(boolean all) {
            while (next < buckets.size() && (all || done.containsAll(owners.get(next)))) {
                next++;
                if (barrier.arriveAndAwaitAdvance() < 0) {
                    throw new Stopped("stopped at the all-reduce of bucket " + (next - 1));
                }
            }
        }
    }
}
