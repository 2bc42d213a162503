/**
 * Layers, parameters, networks, initializers and the gradient checker. Nothing here knows which backend
 * runs it: layers call {@link org.convnet4j.backend.Backend} ops only.
 *
 * <ul>
 *   <li>Layers ({@link org.convnet4j.nn.Layer}, most extending {@link org.convnet4j.nn.AbstractLayer}):
 *       {@link org.convnet4j.nn.Conv2d}, {@link org.convnet4j.nn.Pool2d} (max, average),
 *       {@link org.convnet4j.nn.ActivationLayer} (ReLU, sigmoid, tanh), {@link org.convnet4j.nn.Linear},
 *       {@link org.convnet4j.nn.Flatten}, {@link org.convnet4j.nn.Dropout},
 *       {@link org.convnet4j.nn.LocalResponseNorm}, {@link org.convnet4j.nn.BatchNorm}.</li>
 *   <li>{@link org.convnet4j.nn.Sequential}: a network; {@link org.convnet4j.nn.SoftmaxCrossEntropyLoss}:
 *       the loss.</li>
 *   <li>{@link org.convnet4j.nn.Initializer}: Gaussian, Xavier, He (host-side, so the same seed gives the
 *       same weights on every backend).</li>
 *   <li>{@link org.convnet4j.nn.GradientChecker}: central differences against backward.</li>
 * </ul>
 * Optimizers are in {@link org.convnet4j.nn.optim}, ready-made networks in {@link org.convnet4j.models}.
 */
package org.convnet4j.nn;
