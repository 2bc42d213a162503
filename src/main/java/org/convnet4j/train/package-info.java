/**
 * Training runs: the {@link org.convnet4j.train.Trainer} loop (seeded per-epoch shuffles, evaluation every
 * epoch, divergence check), metrics.csv and summary.json, PNG plots, and binary checkpoints that a run
 * resumes from bit-identically.
 */
package org.convnet4j.train;
