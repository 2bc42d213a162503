package org.convnet4j.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * JMH has no way to skip a benchmark: a trial that cannot run (no GPU, no cuDNN, an op cuDNN lacks) prints
 * one line saying why, and each of its calls returns at once and counts one here. The count appears in
 * JMH's JSON as the secondary metric "skipped"; the report leaves such results out and says the
 * implementation was not available.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class Skips {
    /** Calls that did nothing because the trial is skipped. */
    public long skipped;
}
