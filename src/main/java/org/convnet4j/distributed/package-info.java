/**
 * Data-parallel training: the {@link org.convnet4j.distributed.AllReduce} seam between replicas, its
 * in-process (CPU) implementation, and the TCP rendezvous that lets processes on several machines find each
 * other ({@link org.convnet4j.distributed.TcpRendezvous}, {@link org.convnet4j.distributed.ProcessGroupOptions}).
 * The NCCL implementation, NcclAllReduce, lives in the cuda backend's package beside the other bindings.
 * See docs/distributed.md.
 */
package org.convnet4j.distributed;
