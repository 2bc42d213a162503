package org.convnet4j.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.convnet4j.distributed.AllReduce;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The per-step losses and correct counts of a data-parallel run ({@link DataParallelStep}), read from its
 * local replicas' {@link BatchTally}s and, in a run over several processes, exchanged so that every process
 * knows every global rank's. Step s's loss is sum_g n_g * loss_g / B over the global ranks g with shard sizes
 * n_g of the global batch B, its correct count the sum of the ranks'. The tallies are the replicas'; this
 * closes nothing.
 */
final class ReplicaTallies implements StepTally {
    private final List<DataParallelStep.Replica> replicas;
    private final AllReduce allReduce;
    private final int batch;
    /** Every global rank's shard size, over all processes of the run (= the replicas' in a run of one process). */
    private final int[] globalShards;
    /**
     * A run over several processes: every global rank's loss and correct count per step, [steps][2 * world],
     * exchanged at each read (null in a run of one process, which reads its replicas' tallies).
     */
    private final float[][] globalTally;
    /** Steps of globalTally exchanged so far this epoch. */
    private int exchanged;

    /**
     * The tallies of replicas, local replica i being global rank allReduce.firstRank() + i of
     * globalShards.length (= allReduce.worldSize()), over a global batch of batch items.
     */
    ReplicaTallies(List<DataParallelStep.Replica> replicas, AllReduce allReduce, int[] globalShards, int batch) {
        this.replicas = List.copyOf(replicas);
        this.allReduce = allReduce;
        this.globalShards = globalShards.clone();
        this.batch = batch;
        this.globalTally = globalShards.length == replicas.size() ? null
                : new float[replicas.get(0).tally().steps()][];
    }

    /**
     * {@link BatchTally#read} on every replica's tally; the steps every one of them covers. Step slot's loss
     * is then {@link #loss}, its correct count {@link #correct}. In a run over several processes the steps
     * newly read are exchanged: each process contributes its ranks' losses and counts to a table with a
     * column per global rank, zeros elsewhere, summed by the all-reduce (exact: one term is not zero), so
     * every process knows every rank's. Every process reads at the same steps and knows as many: the
     * exchange is collective.
     */
    @Override
    public int read(int recorded, boolean wait) {
        int known = Integer.MAX_VALUE;
        for (DataParallelStep.Replica p : replicas) {
            known = Math.min(known, p.tally().read(recorded, wait));
        }
        if (globalTally != null && known > exchanged) {
            exchange(known);
        }
        return known;
    }

    /** Exchanges steps exchanged .. known-1 of every global rank (see {@link #read}). */
    private void exchange(int known) {
        int width = 2 * globalShards.length;
        int count = (known - exchanged) * width;
        List<Tensor> tables = new ArrayList<>();
        try {
            for (int r = 0; r < replicas.size(); r++) {
                float[] values = new float[count];
                BatchTally tally = replicas.get(r).tally();
                int column = 2 * (allReduce.firstRank() + r);
                for (int s = exchanged; s < known; s++) {
                    values[(s - exchanged) * width + column] = tally.loss(s);
                    values[(s - exchanged) * width + column + 1] = tally.correct(s);
                }
                tables.add(replicas.get(r).net().backend().tensor(Shape.of(count), values));
            }
            allReduce.allReduceSum(tables);
            allReduce.await();
            float[] all = replicas.get(0).net().backend().toFloatArray(tables.get(0));
            for (int s = exchanged; s < known; s++) {
                globalTally[s] = Arrays.copyOfRange(all, (s - exchanged) * width, (s - exchanged + 1) * width);
            }
            exchanged = known;
        } finally {
            tables.forEach(Tensor::close);
        }
    }

    /** Step slot's loss: sum_g n_g * loss_g / B over the global ranks in order, in double, rounded to float. */
    @Override
    public float loss(int slot) {
        double sum = 0;
        for (int g = 0; g < globalShards.length; g++) {
            sum += globalShards[g] * (double) rankTally(g, slot, 0);
        }
        return (float) (sum / batch);
    }

    /** Step slot's correct count over the global batch. */
    @Override
    public int correct(int slot) {
        int sum = 0;
        for (int g = 0; g < globalShards.length; g++) {
            sum += (int) rankTally(g, slot, 1);
        }
        return sum;
    }

    /** Global rank g's loss (what 0) or correct count (1) at step slot, as read. */
    private float rankTally(int g, int slot, int what) {
        if (globalTally == null) {
            BatchTally t = replicas.get(g).tally();
            return what == 0 ? t.loss(slot) : t.correct(slot);
        }
        if (slot < 0 || slot >= exchanged) {
            throw new IllegalStateException("step " + slot + " of the tally is not read yet (" + exchanged + " are)");
        }
        return globalTally[slot][2 * g + what];
    }

    @Override
    public void reset() {
        for (DataParallelStep.Replica p : replicas) {
            p.tally().reset();
        }
        exchanged = 0;
    }
}
