/**
 * Benchmarks and their report: {@link org.convnet4j.bench.NetworkBenchmark} times a network's training
 * step and each layer (the {@code bench} command, {@link org.convnet4j.bench.BenchCommand});
 * {@link org.convnet4j.bench.ReportCommand} merges those results with JMH's (benchmarks/java: ours
 * against cuDNN and cuBLAS per op) and PyTorch's into docs/benchmarks.md. The shapes every benchmark
 * runs, and the FLOP and byte counts their throughput is computed from, are in
 * {@link org.convnet4j.bench.ConvLayerShape} and {@link org.convnet4j.bench.KernelWorkloads}.
 */
package org.convnet4j.bench;
