package org.convnet4j.models;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.nn.ActivationLayer;
import org.convnet4j.nn.Conv2d;
import org.convnet4j.nn.Dropout;
import org.convnet4j.nn.Layer;
import org.convnet4j.nn.Linear;
import org.convnet4j.nn.LocalResponseNorm;
import org.convnet4j.nn.Pool2d;
import org.convnet4j.nn.Sequential;
import org.convnet4j.tensor.Shape;

/**
 * AlexNet in three forms.
 *
 * <p>{@link #original}: Krizhevsky, Sutskever and Hinton (2012) on 227x227 input, as one tower: the
 * paper split conv2, conv4 and conv5 into two groups across two GPUs; here every convolution sees all
 * channels of its input (no grouping), as in Caffe's single-tower bvlc_alexnet without groups.
 * <pre>
 *   input  [N, 3, 227, 227]
 *   conv1  96 11x11 stride 4   -> [N, 96, 55, 55], relu1, norm1 (LRN 5, 1e-4, 0.75, 2)
 *   pool1  max 3x3 stride 2    -> [N, 96, 27, 27]
 *   conv2  256 5x5 pad 2       -> [N, 256, 27, 27], relu2, norm2 (LRN)
 *   pool2  max 3x3 stride 2    -> [N, 256, 13, 13]
 *   conv3  384 3x3 pad 1, relu3;  conv4 384 3x3 pad 1, relu4;  conv5 256 3x3 pad 1, relu5
 *   pool5  max 3x3 stride 2    -> [N, 256, 6, 6]
 *   fc6    9216 -> 4096, relu6, drop6 (0.5);  fc7 4096 -> 4096, relu7, drop7 (0.5);  fc8 4096 -> numClasses
 * </pre>
 *
 * <p>{@link #oneWeirdTrick}: the variant of Krizhevsky's "One weird trick for parallelizing
 * convolutional neural networks" (2014) that soumith/convnet-benchmarks and torchvision use, on 224x224
 * input, without LRN:
 * <pre>
 *   input  [N, 3, 224, 224]
 *   conv1  64 11x11 stride 4 pad 2 -> [N, 64, 55, 55], relu1   (FLOOR rounding: (224+4-11)/4+1 = 55.25)
 *   pool1  max 3x3 stride 2        -> [N, 64, 27, 27]
 *   conv2  192 5x5 pad 2           -> [N, 192, 27, 27], relu2
 *   pool2  max 3x3 stride 2        -> [N, 192, 13, 13]
 *   conv3  384 3x3 pad 1, relu3;  conv4 256 3x3 pad 1, relu4;  conv5 256 3x3 pad 1, relu5
 *   pool5  max 3x3 stride 2        -> [N, 256, 6, 6]
 *   drop6 (0.5), fc6 9216 -> 4096, relu6, drop7 (0.5), fc7 4096 -> 4096, relu7, fc8 4096 -> numClasses
 * </pre>
 * conv1 of this variant needs {@link OutputRounding#FLOOR}: its output size is not a whole number, and
 * cuDNN and PyTorch drop the last input column and row the window cannot reach.
 *
 * <p>{@link #caffeNet}: Caffe's bvlc_reference_caffenet, the paper's two towers kept as groups (group 2 on
 * conv2, conv4 and conv5) and, as CaffeNet differs from bvlc_alexnet, pooling before normalization:
 * <pre>
 *   input  [N, 3, 227, 227]
 *   conv1  96 11x11 stride 4   -> [N, 96, 55, 55], relu1
 *   pool1  max 3x3 stride 2    -> [N, 96, 27, 27], norm1 (LRN 5, 1e-4, 0.75)
 *   conv2  256 5x5 pad 2, 2 groups (each filter sees 48 channels) -> [N, 256, 27, 27], relu2
 *   pool2  max 3x3 stride 2    -> [N, 256, 13, 13], norm2 (LRN)
 *   conv3  384 3x3 pad 1, relu3;  conv4 384 3x3 pad 1, 2 groups, relu4;  conv5 256 3x3 pad 1, 2 groups, relu5
 *   pool5  max 3x3 stride 2    -> [N, 256, 6, 6]
 *   fc6    9216 -> 4096, relu6, drop6 (0.5);  fc7 4096 -> 4096, relu7, drop7 (0.5);  fc8 4096 -> numClasses
 * </pre>
 * 60,965,224 parameters for 1000 classes, as Caffe's (the grouped layers have half the weights of
 * {@link #original}'s: 2,334,080 convolution parameters against 3,747,200).
 *
 * <p>All use He-initialized weights and zero biases (not the paper's N(0, 0.01) and biases of 1).
 */
public final class AlexNet {
    /** Per-item input shape of {@link #original}. */
    public static final Shape INPUT_ORIGINAL = Shape.of(3, 227, 227);
    /** Per-item input shape of {@link #caffeNet}, as {@link #original}'s. */
    public static final Shape INPUT_CAFFENET = INPUT_ORIGINAL;
    /** Per-item input shape of {@link #oneWeirdTrick}. */
    public static final Shape INPUT_OWT = Shape.of(3, 224, 224);

    private AlexNet() {
    }

    public static Sequential original(int numClasses) {
        return caffeLayout("alexnet", numClasses, 1, false);
    }

    public static Sequential caffeNet(int numClasses) {
        return caffeLayout("caffenet", numClasses, 2, true);
    }

    /**
     * The layout of {@link #original} and {@link #caffeNet}: conv2, conv4 and conv5 in groups; LRN then pooling
     * after conv1 and conv2 (bvlc_alexnet), or pooling then LRN (bvlc_reference_caffenet).
     */
    private static Sequential caffeLayout(String name, int numClasses, int groups, boolean poolBeforeNorm) {
        Models.checkClasses(name, numClasses);
        List<Layer> layers = new ArrayList<>(List.of(
                Conv2d.builder().name("conv1").filters(96).kernel(11).stride(4).build(),
                ActivationLayer.relu("relu1")));
        layers.addAll(normAndPool(1, poolBeforeNorm));
        layers.add(Conv2d.builder().name("conv2").filters(256).kernel(5).pad(2).groups(groups).build());
        layers.add(ActivationLayer.relu("relu2"));
        layers.addAll(normAndPool(2, poolBeforeNorm));
        layers.addAll(List.of(
                Conv2d.builder().name("conv3").filters(384).kernel(3).pad(1).build(),
                ActivationLayer.relu("relu3"),
                Conv2d.builder().name("conv4").filters(384).kernel(3).pad(1).groups(groups).build(),
                ActivationLayer.relu("relu4"),
                Conv2d.builder().name("conv5").filters(256).kernel(3).pad(1).groups(groups).build(),
                ActivationLayer.relu("relu5"),
                pool("pool5"),
                Linear.builder().name("fc6").units(4096).build(),
                ActivationLayer.relu("relu6"),
                Dropout.of("drop6", 0.5f),
                Linear.builder().name("fc7").units(4096).build(),
                ActivationLayer.relu("relu7"),
                Dropout.of("drop7", 0.5f),
                Linear.builder().name("fc8").units(numClasses).build()));
        return Sequential.of(name, layers.toArray(Layer[]::new));
    }

    /** normI (AlexNet's LRN) and poolI, in that order or the other. */
    private static List<Layer> normAndPool(int i, boolean poolFirst) {
        Layer norm = LocalResponseNorm.alexNet("norm" + i);
        Layer pool = pool("pool" + i);
        return poolFirst ? List.of(pool, norm) : List.of(norm, pool);
    }

    public static Sequential oneWeirdTrick(int numClasses) {
        Models.checkClasses("alexnet-owt", numClasses);
        return Sequential.of("alexnet-owt",
                Conv2d.builder().name("conv1").filters(64).kernel(11).stride(4).pad(2)
                        .rounding(OutputRounding.FLOOR).build(),
                ActivationLayer.relu("relu1"),
                pool("pool1"),
                Conv2d.builder().name("conv2").filters(192).kernel(5).pad(2).build(),
                ActivationLayer.relu("relu2"),
                pool("pool2"),
                Conv2d.builder().name("conv3").filters(384).kernel(3).pad(1).build(),
                ActivationLayer.relu("relu3"),
                Conv2d.builder().name("conv4").filters(256).kernel(3).pad(1).build(),
                ActivationLayer.relu("relu4"),
                Conv2d.builder().name("conv5").filters(256).kernel(3).pad(1).build(),
                ActivationLayer.relu("relu5"),
                pool("pool5"),
                Dropout.of("drop6", 0.5f),
                Linear.builder().name("fc6").units(4096).build(),
                ActivationLayer.relu("relu6"),
                Dropout.of("drop7", 0.5f),
                Linear.builder().name("fc7").units(4096).build(),
                ActivationLayer.relu("relu7"),
                Linear.builder().name("fc8").units(numClasses).build());
    }

    /** Overlapping max pooling, 3x3 stride 2. */
    private static Pool2d pool(String name) {
        return Pool2d.max(name, 3, 2);
    }
}
