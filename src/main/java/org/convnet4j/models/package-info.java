/** Ready-made networks: LeNet-5 for MNIST, AlexNet (original, single tower) and AlexNet "one weird trick". */
package org.convnet4j.models;
