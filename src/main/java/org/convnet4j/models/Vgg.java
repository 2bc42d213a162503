package org.convnet4j.models;

import java.util.ArrayList;
import java.util.List;
import org.convnet4j.nn.ActivationLayer;
import org.convnet4j.nn.Conv2d;
import org.convnet4j.nn.Dropout;
import org.convnet4j.nn.Layer;
import org.convnet4j.nn.Linear;
import org.convnet4j.nn.Pool2d;
import org.convnet4j.nn.Sequential;
import org.convnet4j.tensor.Shape;

/**
 * VGG (Simonyan and Zisserman, 2014), configurations A (VGG-11) and D (VGG-16), without batch normalization,
 * as torchvision builds them, on 224x224 input: five blocks of 3x3 stride-1 pad-1 convolutions, each followed
 * by ReLU, each block closed by a 2x2 stride-2 max pool, then three fully connected layers.
 * <pre>
 *   block      VGG-11          VGG-16          output after the block's pool
 *   1          64              64, 64          [N, 64, 112, 112]
 *   2          128             128, 128        [N, 128, 56, 56]
 *   3          256, 256        256, 256, 256   [N, 256, 28, 28]
 *   4          512, 512        512, 512, 512   [N, 512, 14, 14]
 *   5          512, 512        512, 512, 512   [N, 512, 7, 7]
 *   fc6 25088 -> 4096, relu6, drop6 (0.5);  fc7 4096 -> 4096, relu7, drop7 (0.5);  fc8 4096 -> numClasses
 * </pre>
 * Layers are named as in Caffe's model zoo: conv{block}_{i}, relu{block}_{i}, pool{block}. With 1000 classes
 * VGG-11 has 132,863,336 parameters and VGG-16 138,357,544. Every convolution is 3x3 stride 1: Winograd's case.
 * He-initialized weights and zero biases.
 */
public final class Vgg {
    /** Per-item input shape [3, 224, 224]. */
    public static final Shape INPUT = Shape.of(3, 224, 224);

    /** Output channels of each convolution, block by block, of VGG-11 (configuration A). */
    private static final int[][] VGG11 = {{64}, {128}, {256, 256}, {512, 512}, {512, 512}};
    /** Output channels of each convolution, block by block, of VGG-16 (configuration D). */
    private static final int[][] VGG16 = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};

    private Vgg() {
    }

    /** VGG-11, configuration A. */
    public static Sequential vgg11(int numClasses) {
        return create("vgg11", VGG11, numClasses);
    }

    /** VGG-16, configuration D. */
    public static Sequential vgg16(int numClasses) {
        return create("vgg16", VGG16, numClasses);
    }

    private static Sequential create(String name, int[][] blocks, int numClasses) {
        Models.checkClasses(name, numClasses);
        List<Layer> layers = new ArrayList<>();
        for (int b = 0; b < blocks.length; b++) {
            for (int i = 0; i < blocks[b].length; i++) {
                String id = (b + 1) + "_" + (i + 1);
                layers.add(Conv2d.builder().name("conv" + id).filters(blocks[b][i]).kernel(3).pad(1).build());
                layers.add(ActivationLayer.relu("relu" + id));
            }
            layers.add(Pool2d.max("pool" + (b + 1), 2, 2));
        }
        layers.add(Linear.builder().name("fc6").units(4096).build());
        layers.add(ActivationLayer.relu("relu6"));
        layers.add(Dropout.of("drop6", 0.5f));
        layers.add(Linear.builder().name("fc7").units(4096).build());
        layers.add(ActivationLayer.relu("relu7"));
        layers.add(Dropout.of("drop7", 0.5f));
        layers.add(Linear.builder().name("fc8").units(numClasses).build());
        return new Sequential(name, layers);
    }
}
