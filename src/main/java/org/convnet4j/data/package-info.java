/**
 * Training data: the MNIST IDX reader and fetcher, and a seeded synthetic data set. A {@link
 * org.convnet4j.data.Dataset} hands out items as float32 NCHW rows and int labels; the trainer copies
 * mini-batches of them into tensors it allocated once.
 */
package org.convnet4j.data;
