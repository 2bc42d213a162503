package org.convnet4j.backend;

/**
 * Element-wise activations. Their backward passes use the forward output y only:
 * relu' = (y &gt; 0), sigmoid' = y(1-y), tanh' = 1 - y^2.
 */
public enum Activation {
    RELU, SIGMOID, TANH
}
