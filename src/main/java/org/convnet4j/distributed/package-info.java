/**
 * Data-parallel training: the {@link org.convnet4j.distributed.AllReduce} seam between replicas, its
 * in-process (CPU) and NCCL (CUDA) implementations, and the TCP rendezvous that lets processes on several
 * machines find each other. See docs/distributed.md.
 */
package org.convnet4j.distributed;
