package org.convnet4j.models;

import org.convnet4j.backend.OutputRounding;
import org.convnet4j.nn.ActivationLayer;
import org.convnet4j.nn.BatchNorm;
import org.convnet4j.nn.Dropout;
import org.convnet4j.nn.GlobalAvgPool;
import org.convnet4j.nn.Graph;
import org.convnet4j.nn.Linear;
import org.convnet4j.nn.Pool2d;
import org.convnet4j.tensor.Shape;

/**
 * GoogLeNet (Szegedy et al., "Going deeper with convolutions", 2014), Inception v1, as a {@link Graph}
 * for [3, 224, 224] input, in torchvision's form: every convolution is conv (no bias), batch normalization
 * (eps 0.001), ReLU; no LRN. The two auxiliary classifiers are left out (they only add a training loss).
 * <pre>
 *   conv1 64 7x7 stride 2 pad 3 -> 112x112;  maxpool1 3x3 stride 2 -> 56x56
 *   conv2 64 1x1;  conv3 192 3x3 pad 1;  maxpool2 -> 28x28
 *   inception 3a, 3b;  maxpool3 -> 14x14;  inception 4a..4e;  maxpool4 2x2 stride 2 -> 7x7;  inception 5a, 5b
 *   global average pool -> [N, 1024, 1, 1];  dropout 0.2;  fc 1024 -> numClasses
 * </pre>
 * An inception module concatenates four branches along the channels: 1x1; 1x1 reduction then 3x3; 1x1
 * reduction then 5x5 (the paper's; torchvision's code has a 3x3 there); max pool 3x3 stride 1 then a 1x1
 * projection. The max pools use pad 1 with floor rounding where torchvision uses ceil mode without padding:
 * the same output sizes.
 *
 * <p>With 1000 classes: 7,005,832 trainable parameters (torchvision's googlenet without auxiliaries, whose
 * third branches are 3x3, has 6,624,904; the paper's table, without batch normalization, about 6.8 M).
 */
public final class GoogLeNet {
    /** Per-item input shape. */
    public static final Shape INPUT = Shape.of(3, 224, 224);

    /** Each module: 1x1, 3x3 reduction, 3x3, 5x5 reduction, 5x5, pool projection (the paper's table 1). */
    private static final int[][] MODULES = {
            {64, 96, 128, 16, 32, 32}, {128, 128, 192, 32, 96, 64},
            {192, 96, 208, 16, 48, 64}, {160, 112, 224, 24, 64, 64}, {128, 128, 256, 24, 64, 64},
            {112, 144, 288, 32, 64, 64}, {256, 160, 320, 32, 128, 128},
            {256, 160, 320, 32, 128, 128}, {384, 192, 384, 48, 128, 128}};
    private static final String[] NAMES = {"3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"};

    private GoogLeNet() {
    }

    public static Graph create(int numClasses) {
        Models.checkClasses("googlenet", numClasses);
        Graph.Builder g = Graph.builder("googlenet", INPUT);
        String x = conv(g, Graph.INPUT, "conv1", 64, 7, 2);
        g.layer(x, maxPool("maxpool1", 3, 2, 1));
        x = conv(g, "maxpool1", "conv2", 64, 1, 1);
        x = conv(g, x, "conv3", 192, 3, 1);
        g.layer(x, maxPool("maxpool2", 3, 2, 1));
        x = "maxpool2";
        for (int i = 0; i < MODULES.length; i++) {
            x = inception(g, x, "inception" + NAMES[i], MODULES[i]);
            if (NAMES[i].equals("3b") || NAMES[i].equals("4e")) {
                String pool = NAMES[i].equals("3b") ? "maxpool3" : "maxpool4";
                g.layer(x, NAMES[i].equals("3b") ? maxPool(pool, 3, 2, 1) : maxPool(pool, 2, 2, 0));
                x = pool;
            }
        }
        return g.chain(x, new GlobalAvgPool("avgpool"), Dropout.of("dropout", 0.2f),
                Linear.builder().name("fc").units(numClasses).build()).build();
    }

    /**
     * An inception module named name on node in; c = {1x1, 3x3 reduction, 3x3, 5x5 reduction, 5x5, pool
     * projection} channels. Returns the name of its output (the concatenation) node.
     */
    public static String inception(Graph.Builder g, String in, String name, int[] c) {
        String b1 = conv(g, in, name + ".branch1", c[0], 1, 1);
        String b2 = conv(g, conv(g, in, name + ".branch2.reduce", c[1], 1, 1), name + ".branch2", c[2], 3, 1);
        String b3 = conv(g, conv(g, in, name + ".branch3.reduce", c[3], 1, 1), name + ".branch3", c[4], 5, 1);
        g.layer(in, maxPool(name + ".branch4.pool", 3, 1, 1));
        String b4 = conv(g, name + ".branch4.pool", name + ".branch4", c[5], 1, 1);
        g.concat(name, b1, b2, b3, b4);
        return name;
    }

    /** conv (k x k, pad k/2, no bias), batch norm (eps 0.001), ReLU named name; returns the ReLU's node name. */
    private static String conv(Graph.Builder g, String in, String name, int filters, int k, int stride) {
        g.chain(in, ResNet.conv(name + ".conv", filters, k, stride),
                BatchNorm.builder().name(name + ".bn").eps(1e-3f).build(), ActivationLayer.relu(name));
        return name;
    }

    private static Pool2d maxPool(String name, int k, int stride, int pad) {
        return Pool2d.builder().name(name).mode(Pool2d.Mode.MAX).kernel(k).stride(stride).pad(pad)
                .rounding(OutputRounding.FLOOR).build();
    }
}
