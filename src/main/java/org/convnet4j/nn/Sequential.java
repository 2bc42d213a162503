package org.convnet4j.nn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Layers applied one after the other: forward runs them in order, backward in reverse. It is itself a
 * {@link Layer}, so networks nest.
 *
 * <p>Input: whatever the first layer takes; output: whatever the last gives; {@link #outputShape} chains
 * the layers' shapes and works before initialization. {@link #initialize(Backend, Shape, long)} checks
 * every layer's input against the previous layer's output and fails with IllegalArgumentException naming
 * the layer and both shapes. {@link #parameters()} lists every layer's parameters in layer order, with
 * names prefixed by the layer's name ("conv1.W", "conv1.b", ...).
 */
public final class Sequential extends AbstractNetwork {
    private final List<Layer> layers;

    public Sequential(String name, List<Layer> layers) {
        super(name, "Sequential");
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException(name() + ": a Sequential needs at least one layer");
        }
        Set<String> names = new HashSet<>();
        for (Layer l : layers) {
            if (l == null) {
                throw new IllegalArgumentException(name() + ": null layer in " + layers);
            }
            if (!names.add(l.name())) {
                throw new IllegalArgumentException(name() + ": two layers are named '" + l.name()
                        + "'; layer names must be unique (they prefix parameter names)");
            }
        }
        this.layers = List.copyOf(layers);
    }

    public static Sequential of(String name, Layer... layers) {
        return new Sequential(name, List.of(layers));
    }

    public List<Layer> layers() {
        return layers;
    }

    /** The layer with this name; IllegalArgumentException if there is none. */
    public Layer layer(String layerName) {
        for (Layer l : layers) {
            if (l.name().equals(layerName)) {
                return l;
            }
        }
        throw new IllegalArgumentException(name() + ": no layer named '" + layerName + "'");
    }

    @Override
    protected void initializeLayers(Backend backend, Shape inputShape, Random rng) {
        Shape shape = inputShape;
        String from = "the network input";
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            try {
                l.initialize(backend, shape, rng);
                shape = l.outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name() + ": layer " + i + " '" + l.name() + "' cannot take input "
                        + shape + " (" + from + "): " + e.getMessage(), e);
            }
            from = "the output of '" + l.name() + "'";
        }
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        Shape shape = input;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            try {
                shape = l.outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name() + ": layer " + i + " '" + l.name() + "' cannot take input "
                        + shape + ": " + e.getMessage(), e);
            }
        }
        return shape;
    }

    @Override
    public List<Shape> layerInputShapes(Shape input) {
        List<Shape> shapes = new ArrayList<>();
        shapes.add(input);
        shapes.addAll(outputShapes(input));
        return shapes.subList(0, layers.size());
    }

    /** The shape after each layer for an input shape, in order (one entry per layer). */
    @Override
    public List<Shape> outputShapes(Shape input) {
        checkOpen();
        List<Shape> shapes = new ArrayList<>();
        Shape shape = input;
        for (Layer l : layers) {
            shape = l.outputShape(shape);
            shapes.add(shape);
        }
        return shapes;
    }

    @Override
    public Tensor forward(Tensor x, boolean training, NodeProbe probe) {
        checkInitialized();
        Tensor t = x;
        for (Layer l : layers) {
            Tensor in = t;
            t = probe.run(l.name(), type(l), false, () -> l.forward(in, training));
        }
        return t;
    }

    /**
     * Backward through the layers in reverse. With inputGradient false (what a training step needs: the
     * input is the data) it stops at the {@link #firstTrainableLayer() first trainable layer}, which computes
     * no dx, and returns null; the parameter gradients are the same either way.
     */
    @Override
    public Tensor backward(Tensor dy, boolean inputGradient, NodeProbe probe) {
        checkInitialized();
        int first = inputGradient ? 0 : firstTrainableLayer();
        Tensor t = dy;
        for (int i = layers.size() - 1; i >= first; i--) {
            Layer l = layers.get(i);
            Tensor g = t;
            boolean dx = inputGradient || i > first;
            t = probe.run(l.name(), type(l), true, () -> l.backward(g, dx));
        }
        return inputGradient ? t : null;
    }

    /** A layer's kind for people: its class name. */
    static String type(Layer l) {
        return l.getClass().getSimpleName();
    }

    /**
     * The index of the first layer with a trainable parameter, or the number of layers when none has one:
     * a training step's backward needs nothing from the layers before it.
     */
    public int firstTrainableLayer() {
        checkInitialized();
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).parameters().stream().anyMatch(Parameter::isTrainable)) {
                return i;
            }
        }
        return layers.size();
    }

    /**
     * For a training step whose loss was NaN or infinite: runs forward on x again and returns the first
     * layer whose output holds a NaN or an infinity (empty when every output is finite); see
     * {@link Network#firstNonFiniteStep}.
     */
    public Optional<Layer> firstNonFiniteOutput(Tensor x, boolean training) {
        return firstNonFiniteStep(x, training).map(step -> layer(step.name()));
    }

    /**
     * A table for people: each layer's name, type, output shape for this input shape and, once
     * initialized, its trainable parameter count; then the total.
     */
    public String summary(Shape input) {
        checkOpen();
        StringBuilder b = new StringBuilder(String.format("%-14s %-18s %-22s %12s%n", "layer", "type", "output", "parameters"));
        b.append(String.format("%-14s %-18s %-22s %12s%n", "input", "", input, ""));
        Shape shape = input;
        long total = 0;
        for (Layer l : layers) {
            shape = l.outputShape(shape);
            String count = "-";
            if (isInitialized()) {
                long n = 0;
                for (Parameter p : l.parameters()) {
                    if (p.isTrainable()) {
                        n += p.shape().size();
                    }
                }
                total += n;
                count = String.format(java.util.Locale.ROOT, "%,d", n);
            }
            b.append(String.format("%-14s %-18s %-22s %12s%n", l.name(), l.getClass().getSimpleName(), shape, count));
        }
        if (isInitialized()) {
            b.append(String.format("%-14s %-18s %-22s %12s%n", "total", "", "", String.format(java.util.Locale.ROOT, "%,d", total)));
        }
        return b.toString();
    }

    @Override
    protected void closeLayers() {
        for (Layer l : layers) {
            l.close();
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Sequential(").append(name()).append(")");
        for (Layer l : layers) {
            b.append("\n  ").append(l);
        }
        return b.toString();
    }
}
