package org.convnet4j.bench;

import java.util.List;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.tensor.Shape;

/**
 * One convolution of the benchmark networks, with the batch it is timed at: the same list as
 * benchmarks/pytorch/bench_torch.py (CONV_LAYERS), so our, cuDNN's and PyTorch's times line up by
 * {@link #name()} ("alexnet/conv1") and pass.
 *
 * <p>x [batch, c, h, w], W [fn, c/groups, k, k], y [batch, fn, oh, ow] with oh = floor((h + 2 pad - k) / stride)
 * + 1 (FLOOR rounding: AlexNet-OWT's conv1 does not divide evenly, and cuDNN and PyTorch drop the last row
 * and column); groups 1 but for CaffeNet's conv2, conv4 and conv5 (2).
 *
 * <p>FLOP count, the same for each pass (fwd, bwd_data, bwd_filter): one multiply-add (2 FLOP) per
 * weight per output position per image, {@code 2 * batch * fn * oh * ow * (c/groups) * k * k}; bias and the
 * bias gradient are not counted.
 */
public record ConvLayerShape(String network, String layer, int batch, int c, int h, int w, int fn, int k,
                             int stride, int pad, int groups) {

    /** One group. */
    public ConvLayerShape(String network, String layer, int batch, int c, int h, int w, int fn, int k, int stride,
                          int pad) {
        this(network, layer, batch, c, h, w, fn, k, stride, pad, 1);
    }

    /**
     * The layers of bench_torch.py, in its order. CaffeNet's grouped three (its conv1 and conv3 are AlexNet's). VGG-16's nine distinct convolutions at batch 64 (conv3_3,
     * conv4_3, conv5_2 and conv5_3 repeat a shape above them); VGG-11's are among them (its conv1 is conv1_1,
     * conv2 conv2_1, conv3_1/3_2 and conv4_1/4_2 the same, conv5_1/5_2 conv5_1).
     */
    public static final List<ConvLayerShape> ALL = List.of(
            new ConvLayerShape("lenet5", "conv1", 64, 1, 28, 28, 6, 5, 1, 2),
            new ConvLayerShape("lenet5", "conv2", 64, 6, 14, 14, 16, 5, 1, 0),
            new ConvLayerShape("alexnet", "conv1", 128, 3, 227, 227, 96, 11, 4, 0),
            new ConvLayerShape("alexnet", "conv2", 128, 96, 27, 27, 256, 5, 1, 2),
            new ConvLayerShape("alexnet", "conv3", 128, 256, 13, 13, 384, 3, 1, 1),
            new ConvLayerShape("alexnet", "conv4", 128, 384, 13, 13, 384, 3, 1, 1),
            new ConvLayerShape("alexnet", "conv5", 128, 384, 13, 13, 256, 3, 1, 1),
            new ConvLayerShape("caffenet", "conv2", 128, 96, 27, 27, 256, 5, 1, 2, 2),
            new ConvLayerShape("caffenet", "conv4", 128, 384, 13, 13, 384, 3, 1, 1, 2),
            new ConvLayerShape("caffenet", "conv5", 128, 384, 13, 13, 256, 3, 1, 1, 2),
            new ConvLayerShape("alexnet-owt", "conv1", 128, 3, 224, 224, 64, 11, 4, 2),
            new ConvLayerShape("alexnet-owt", "conv2", 128, 64, 27, 27, 192, 5, 1, 2),
            new ConvLayerShape("alexnet-owt", "conv3", 128, 192, 13, 13, 384, 3, 1, 1),
            new ConvLayerShape("alexnet-owt", "conv4", 128, 384, 13, 13, 256, 3, 1, 1),
            new ConvLayerShape("alexnet-owt", "conv5", 128, 256, 13, 13, 256, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv1_1", 64, 3, 224, 224, 64, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv1_2", 64, 64, 224, 224, 64, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv2_1", 64, 64, 112, 112, 128, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv2_2", 64, 128, 112, 112, 128, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv3_1", 64, 128, 56, 56, 256, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv3_2", 64, 256, 56, 56, 256, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv4_1", 64, 256, 28, 28, 512, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv4_2", 64, 512, 28, 28, 512, 3, 1, 1),
            new ConvLayerShape("vgg16", "conv5_1", 64, 512, 14, 14, 512, 3, 1, 1));

    /** The three passes, as the report and bench_torch.py name them. */
    public static final List<String> PASSES = List.of("fwd", "bwd_data", "bwd_filter");

    /** "network/layer", e.g. "alexnet/conv1". */
    public String name() {
        return network + "/" + layer;
    }

    /** The layer called name ("alexnet/conv1"); IllegalArgumentException naming the known ones otherwise. */
    public static ConvLayerShape byName(String name) {
        for (ConvLayerShape s : ALL) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown benchmark convolution '" + name + "'; known: "
                + ALL.stream().map(ConvLayerShape::name).toList());
    }

    /**
     * The CI-sized version: batch 1 and at most 4 input and 4 output channels per group, same groups, spatial
     * sizes, filter, stride and padding (every code path, a few MFLOP).
     */
    public ConvLayerShape tiny() {
        return new ConvLayerShape(network, layer, 1, Math.min(c, 4 * groups), h, w, Math.min(fn, 4 * groups), k, stride,
                pad, groups);
    }

    public ConvSpec spec() {
        return ConvSpec.of(stride, pad).withRounding(OutputRounding.FLOOR).withGroups(groups);
    }

    public Shape inputShape() {
        return Shape.of(batch, c, h, w);
    }

    public Shape weightShape() {
        return Shape.of(fn, c / groups, k, k);
    }

    public Shape outputShape() {
        return spec().outputShape(name(), inputShape(), weightShape());
    }

    /** 2 * batch * fn * oh * ow * (c/groups) * k * k: see the class comment. */
    public double flops() {
        Shape y = outputShape();
        return 2.0 * batch * fn * y.h() * y.w() * (c / groups) * k * k;
    }
}
