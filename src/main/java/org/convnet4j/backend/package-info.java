/**
 * The backend seam: {@link org.convnet4j.backend.Backend} has every op as a method on tensors; the cpu
 * and cuda subpackages implement it. Layers talk to this interface only.
 */
package org.convnet4j.backend;
