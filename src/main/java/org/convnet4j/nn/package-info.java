/**
 * Layers, parameters, networks, initializers, optimizers and the gradient checker. Nothing here knows
 * which backend runs it.
 */
package org.convnet4j.nn;
