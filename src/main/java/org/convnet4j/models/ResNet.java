package org.convnet4j.models;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.nn.ActivationLayer;
import org.convnet4j.nn.BatchNorm;
import org.convnet4j.nn.Conv2d;
import org.convnet4j.nn.GlobalAvgPool;
import org.convnet4j.nn.Graph;
import org.convnet4j.nn.Linear;
import org.convnet4j.nn.Pool2d;
import org.convnet4j.tensor.Shape;

/**
 * Residual networks of basic blocks (He, Zhang, Ren and Sun, "Deep residual learning for image
 * recognition", 2015), as {@link Graph}s. A basic block:
 * <pre>
 *   out = relu(bn2(conv2 3x3(relu(bn1(conv1 3x3 stride s(x))))) + shortcut(x))
 *   shortcut(x) = x, or bn(conv 1x1 stride s(x)) where the shape changes (a projection, option B)
 * </pre>
 * Convolutions have no bias (batch normalization follows each), as in torchvision.
 *
 * <p>{@link #resnet18} and {@link #resnet34}, for [3, 224, 224] input (torchvision's layout):
 * <pre>
 *   conv1 64 7x7 stride 2 pad 3, bn1, relu -> [N, 64, 112, 112];  maxpool 3x3 stride 2 pad 1 -> 56x56
 *   layer1..layer4: {2, 2, 2, 2} (18) or {3, 4, 6, 3} (34) blocks of 64, 128, 256, 512 channels; the first
 *   block of layer2..4 has stride 2 and a projection shortcut -> 28x28, 14x14, 7x7
 *   global average pool -> [N, 512, 1, 1];  fc 512 -> numClasses
 * </pre>
 * With 1000 classes: 11,689,512 (ResNet-18) and 21,797,672 (ResNet-34) trainable parameters, torchvision's.
 *
 * <p>{@link #resnet20}, the paper's CIFAR network (section 4.2) for small images ([C, 28, 28] or [C, 32, 32]):
 * conv 16 3x3, then three stages of 3 blocks of 16, 32 and 64 channels (the second and third start with
 * stride 2), global average pooling and fc 64 -> numClasses. The paper's CIFAR shortcuts pad the extra
 * channels with zeros (option A, 0.27 M parameters); here the two shortcuts that change shape are
 * projections (option B), which adds 2,752 parameters on 1-channel input with 10 classes: 272,186 in all.
 */
public final class ResNet {
    /** Per-item input shape of ResNet-18 and -34. */
    public static final Shape INPUT_IMAGENET = Shape.of(3, 224, 224);
    /** Per-item input shape of the registry's ResNet-20 (MNIST). */
    public static final Shape INPUT_MNIST = Shape.of(1, 28, 28);

    private ResNet() {
    }

    public static Graph resnet18(int numClasses) {
        return imagenet("resnet18", new int[] {2, 2, 2, 2}, numClasses);
    }

    public static Graph resnet34(int numClasses) {
        return imagenet("resnet34", new int[] {3, 4, 6, 3}, numClasses);
    }

    /** ResNet-20 for items of this shape ([C, H, W], H and W divisible by 4: 28x28 MNIST, 32x32 CIFAR). */
    public static Graph resnet20(int numClasses, Shape input) {
        Models.checkClasses("resnet20", numClasses);
        Graph.Builder g = Graph.builder("resnet20", input)
                .chain(Graph.INPUT, conv("conv1", 16, 3, 1), BatchNorm.of("bn1"), ActivationLayer.relu("relu1"));
        String x = stages(g, "relu1", 16, new int[] {16, 32, 64}, new int[] {3, 3, 3});
        return head(g, x, 64, numClasses);
    }

    private static Graph imagenet(String name, int[] blocks, int numClasses) {
        Models.checkClasses(name, numClasses);
        Graph.Builder g = Graph.builder(name, INPUT_IMAGENET)
                .chain(Graph.INPUT, conv("conv1", 64, 7, 2), BatchNorm.of("bn1"), ActivationLayer.relu("relu1"),
                        Pool2d.builder().name("maxpool").mode(Pool2d.Mode.MAX).kernel(3).stride(2).pad(1)
                                .rounding(OutputRounding.FLOOR).build());
        String x = stages(g, "maxpool", 64, new int[] {64, 128, 256, 512}, blocks);
        return head(g, x, 512, numClasses);
    }

    /** Stage i ("layer" + (i+1)) has blocks[i] blocks of widths[i] channels; stages after the first start with stride 2. */
    private static String stages(Graph.Builder g, String x, int channels, int[] widths, int[] blocks) {
        for (int i = 0; i < widths.length; i++) {
            for (int b = 0; b < blocks[i]; b++) {
                int stride = i > 0 && b == 0 ? 2 : 1;
                x = basicBlock(g, x, "layer" + (i + 1) + "." + b, channels, widths[i], stride);
                channels = widths[i];
            }
        }
        return x;
    }

    /** Global average pooling and the classifier after node x of the given channels. */
    private static Graph head(Graph.Builder g, String x, int channels, int numClasses) {
        return g.chain(x, new GlobalAvgPool("avgpool"), Linear.builder().name("fc").units(numClasses).build())
                .build();
    }

    /**
     * A basic block named name on node in (inChannels channels), with out channels and the first
     * convolution's stride; returns the name of its output node.
     */
    public static String basicBlock(Graph.Builder g, String in, String name, int inChannels, int out, int stride) {
        g.chain(in, conv(name + ".conv1", out, 3, stride), BatchNorm.of(name + ".bn1"),
                ActivationLayer.relu(name + ".relu1"), conv(name + ".conv2", out, 3, 1), BatchNorm.of(name + ".bn2"));
        String shortcut = in;
        if (stride != 1 || inChannels != out) {
            g.chain(in, conv(name + ".downsample", out, 1, stride), BatchNorm.of(name + ".downsample.bn"));
            shortcut = name + ".downsample.bn";
        }
        g.add(name + ".add", name + ".bn2", shortcut);
        g.layer(name + ".add", ActivationLayer.relu(name + ".relu"));
        return name + ".relu";
    }

    /**
     * A k x k convolution without bias, padded to keep the size at stride 1 (pad k/2); at stride 2 on an
     * even size the last window would pass the edge: FLOOR drops it, as PyTorch does (112 -> 56).
     */
    static Conv2d conv(String name, int filters, int k, int stride) {
        return Conv2d.builder().name(name).filters(filters).kernel(k).stride(stride).pad(k / 2).bias(false)
                .rounding(OutputRounding.FLOOR).build();
    }
}
