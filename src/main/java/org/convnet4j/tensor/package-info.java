/** Shapes and tensors: NCHW float32 (and int32 for labels and switches), owned by a backend. */
package org.convnet4j.tensor;
