package org.convnet4j.models;

import java.util.List;
import java.util.Locale;
import org.convnet4j.nn.Network;
import org.convnet4j.tensor.Shape;

/**
 * The models by name: "lenet5" ({@link LeNet5}), "alexnet" ({@link AlexNet#original}), "caffenet"
 * ({@link AlexNet#caffeNet}, grouped), "alexnet-owt" ({@link AlexNet#oneWeirdTrick}), "vgg11" ({@link Vgg#vgg11}), "vgg16" ({@link Vgg#vgg16}), "resnet18",
 * "resnet34", "resnet20" ({@link ResNet}) and "googlenet" ({@link GoogLeNet}). Networks come back
 * uninitialized: call {@link Network#initialize(org.convnet4j.backend.Backend, Shape, long)} with
 * {@code inputShape(name)} and a batch size in front.
 */
public final class Models {
    private static final List<String> NAMES = List.of("lenet5", "alexnet", "caffenet", "alexnet-owt", "vgg11", "vgg16", "resnet18",
            "resnet34", "resnet20", "googlenet");

    private Models() {
    }

    public static List<String> names() {
        return NAMES;
    }

    /** A new, uninitialized network. */
    public static Network create(String name, int numClasses) {
        return switch (normalize(name)) {
            case "lenet5" -> LeNet5.create(numClasses);
            case "alexnet" -> AlexNet.original(numClasses);
            case "caffenet" -> AlexNet.caffeNet(numClasses);
            case "vgg11" -> Vgg.vgg11(numClasses);
            case "vgg16" -> Vgg.vgg16(numClasses);
            case "resnet18" -> ResNet.resnet18(numClasses);
            case "resnet34" -> ResNet.resnet34(numClasses);
            case "resnet20" -> ResNet.resnet20(numClasses, ResNet.INPUT_MNIST);
            case "googlenet" -> GoogLeNet.create(numClasses);
            default -> AlexNet.oneWeirdTrick(numClasses);
        };
    }

    /**
     * Per-item input shape [C, H, W]: lenet5 and resnet20 [1, 28, 28], alexnet and caffenet [3, 227, 227], alexnet-owt,
     * the VGGs, resnet18, resnet34 and googlenet [3, 224, 224].
     */
    public static Shape inputShape(String name) {
        return switch (normalize(name)) {
            case "lenet5" -> LeNet5.INPUT;
            case "alexnet" -> AlexNet.INPUT_ORIGINAL;
            case "caffenet" -> AlexNet.INPUT_CAFFENET;
            case "vgg11", "vgg16" -> Vgg.INPUT;
            case "resnet18", "resnet34" -> ResNet.INPUT_IMAGENET;
            case "resnet20" -> ResNet.INPUT_MNIST;
            case "googlenet" -> GoogLeNet.INPUT;
            default -> AlexNet.INPUT_OWT;
        };
    }

    /** The input shape with a batch dimension: [batch, C, H, W]. */
    public static Shape batchInputShape(String name, int batch) {
        Shape s = inputShape(name);
        return Shape.of(batch, s.dim(0), s.dim(1), s.dim(2));
    }

    private static String normalize(String name) {
        String n = name == null ? "" : name.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known: " + NAMES);
        }
        return n;
    }

    static void checkClasses(String model, int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException(model + ": numClasses must be >= 1, got " + numClasses);
        }
    }
}
