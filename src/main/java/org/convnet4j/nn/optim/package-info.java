/**
 * Optimizers: SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam, all with L2 weight decay
 * (g = grad + weightDecay * param), each updating parameters in place through the backend's update ops.
 * {@link org.convnet4j.nn.optim.Optimizers#create} builds one by name.
 */
package org.convnet4j.nn.optim;
