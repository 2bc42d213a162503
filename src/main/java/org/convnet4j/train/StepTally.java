package org.convnet4j.train;

/**
 * The losses and correct counts of an epoch's steps, as the trainer reads them: every few steps, without
 * waiting for the device ({@link BatchTally}: one network; {@link ReplicaTallies}: a data-parallel run's replicas' combined).
 */
interface StepTally {
    /**
     * Starts reading the steps recorded so far (the first recorded ones); with wait, waits for that read and
     * returns recorded. Otherwise returns how many steps an earlier read covered, now readable.
     */
    int read(int recorded, boolean wait);

    /** Step slot's mean loss, once read. */
    float loss(int slot);

    /** Step slot's correctly classified items, once read. */
    int correct(int slot);

    /** Forgets what was read, for the next epoch. */
    void reset();
}
