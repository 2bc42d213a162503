package org.convnet4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * A network of named nodes, each fed by the nodes it names: a layer takes one input, a merge ({@link
 * Builder#add}: element-wise sum, {@link Builder#concat}: channel concatenation) two or more. The network
 * input is the node {@value #INPUT}. Built with a {@link Builder}, which checks the whole graph (unknown
 * inputs, cycles, nodes that do not lead to the output, and every shape, merges included) and fails with
 * IllegalArgumentException naming the nodes and their shapes.
 *
 * <p>A residual block (ReLU(x + BN(conv(ReLU(BN(conv(x))))))):
 * <pre>{@code
 * Graph block = Graph.builder("block", Shape.of(16, 32, 32))
 *         .chain(Graph.INPUT, Conv2d.builder().name("conv1").filters(16).kernel(3).pad(1).build(),
 *                 BatchNorm.of("bn1"), ActivationLayer.relu("relu1"),
 *                 Conv2d.builder().name("conv2").filters(16).kernel(3).pad(1).build(), BatchNorm.of("bn2"))
 *         .add("sum", "bn2", Graph.INPUT)
 *         .layer("sum", ActivationLayer.relu("out"))
 *         .build();
 * }</pre>
 *
 * <p>Forward runs the nodes in a topological order (of the nodes ready, the one declared first: the same
 * order every time); backward runs them in reverse. A node feeding several others (a fan-out) gets the sum
 * of their gradients, added in that reverse order into a buffer of the graph's: deterministic. With
 * inputGradient false (a training step) the nodes that only the input leads to, before any trainable one,
 * are not run backward. {@link #parameters()} lists the layers' parameters in forward order.
 */
public final class Graph extends AbstractNetwork {
    /** The name of the network input. */
    public static final String INPUT = "input";

    /** A node: a layer (one input) or a merge (two or more); inputs are indices into the graph's nodes. */
    private record Node(String name, Layer layer, Merge merge, int[] inputs) {
        String type() {
            return layer != null ? Sequential.type(layer) : merge.type();
        }
    }

    private final Shape inputItemShape;
    /** Index 0 is the input (null here), then the nodes in forward order; the last is the output. */
    private final List<Node> nodes;
    private final List<Layer> layers;
    /** For each node, how many inputs of later nodes name it (a merge naming it twice counts twice). */
    private final int[] consumers;
    private final Tensor[] sums;
    private boolean[] trainable;

    private Graph(String name, Shape inputItemShape, List<Node> nodes) {
        super(name, "Graph");
        this.inputItemShape = inputItemShape;
        this.nodes = nodes;
        List<Layer> ls = new ArrayList<>();
        this.consumers = new int[nodes.size()];
        for (Node n : nodes.subList(1, nodes.size())) {
            if (n.layer() != null) {
                ls.add(n.layer());
            }
            for (int i : n.inputs()) {
                consumers[i]++;
            }
        }
        this.layers = List.copyOf(ls);
        this.sums = new Tensor[nodes.size()];
    }

    /** A builder for a graph whose input items have this shape ([C, H, W] for images). */
    public static Builder builder(String name, Shape inputItemShape) {
        return new Builder(name, inputItemShape);
    }

    /** The names of the nodes in forward order, the input first and the output last. */
    public List<String> nodeNames() {
        return nodes.stream().map(n -> n == null ? INPUT : n.name()).toList();
    }

    @Override
    public List<Layer> layers() {
        return layers;
    }

    @Override
    public Shape outputShape(Shape input) {
        checkOpen();
        Shape[] s = shapes(input);
        return s[s.length - 1];
    }

    @Override
    public List<Shape> outputShapes(Shape input) {
        checkOpen();
        return Arrays.asList(shapes(input)).subList(1, nodes.size());
    }

    @Override
    public List<Shape> layerInputShapes(Shape input) {
        checkOpen();
        Shape[] s = shapes(input);
        List<Shape> in = new ArrayList<>();
        for (Node n : nodes.subList(1, nodes.size())) {
            if (n.layer() != null) {
                in.add(s[n.inputs()[0]]);
            }
        }
        return in;
    }

    /** Every node's output shape for a network input shape (index 0: the input). */
    private Shape[] shapes(Shape input) {
        if (input == null || !input.withBatch(1).equals(batchOfOne(inputItemShape))) {
            throw new IllegalArgumentException(name() + ": input " + input + " does not match the item shape "
                    + inputItemShape + " the graph was built for");
        }
        return propagate(name(), nodes, input);
    }

    @Override
    protected void initializeLayers(Backend backend, Shape inputShape, Random rng) {
        Shape[] s = shapes(inputShape);
        trainable = new boolean[nodes.size()];
        for (int i = 1; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.layer() != null) {
                n.layer().initialize(backend, s[n.inputs()[0]], rng);
                trainable[i] = n.layer().parameters().stream().anyMatch(Parameter::isTrainable);
            } else {
                n.merge().backend = backend;
            }
        }
    }

    @Override
    public Tensor forward(Tensor x, boolean training, NodeProbe probe) {
        checkInitialized();
        Tensor[] out = new Tensor[nodes.size()];
        out[0] = x;
        for (int i = 1; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            List<Tensor> in = new ArrayList<>();
            for (int k : n.inputs()) {
                in.add(out[k]);
            }
            out[i] = probe.run(n.name(), n.type(), false, () -> n.layer() != null
                    ? n.layer().forward(in.get(0), training) : n.merge().forward(in));
        }
        return out[out.length - 1];
    }

    @Override
    public Tensor backward(Tensor dy, boolean inputGradient, NodeProbe probe) {
        checkInitialized();
        // needs[i]: node i's output gradient is wanted (a trainable layer, or the input, is at or before it)
        boolean[] needs = new boolean[nodes.size()];
        needs[0] = inputGradient;
        for (int i = 1; i < nodes.size(); i++) {
            needs[i] = trainable[i];
            for (int k : nodes.get(i).inputs()) {
                needs[i] |= needs[k];
            }
        }
        Tensor[] grad = new Tensor[nodes.size()];
        int[] added = new int[nodes.size()];
        grad[grad.length - 1] = dy;
        for (int i = nodes.size() - 1; i >= 1; i--) {
            Node n = nodes.get(i);
            if (!needs[i]) {
                continue;
            }
            int[] in = n.inputs();
            boolean[] wanted = new boolean[in.length];
            for (int k = 0; k < in.length; k++) {
                wanted[k] = needs[in[k]];
            }
            Tensor g = grad[i];
            List<Tensor> dxs = probe.run(n.name(), n.type(), true, () -> n.layer() != null
                    ? java.util.Collections.singletonList(n.layer().backward(g, wanted[0]))
                    : n.merge().backward(g, wanted));
            for (int k = 0; k < in.length; k++) {
                if (wanted[k]) {
                    accumulate(in[k], dxs.get(k), grad, added);
                }
            }
        }
        return inputGradient ? grad[0] : null;
    }

    /** grad[node] += g: the first gradient is taken as it is, the second and later summed into a buffer. */
    private void accumulate(int node, Tensor g, Tensor[] grad, int[] added) {
        if (added[node]++ == 0) {
            grad[node] = g;
            return;
        }
        Tensor sum = sums[node];
        if (sum == null || !sum.shape().equals(g.shape())) {
            if (sum != null) {
                sum.close();
            }
            sum = backend().allocate(g.shape());
            sums[node] = sum;
        }
        backend().add(grad[node], g, sum);
        grad[node] = sum;
    }

    /** How many nodes consume node's output (for tests and people: a fan-out has more than one). */
    public int consumers(String node) {
        int i = nodeNames().indexOf(node);
        if (i < 0) {
            throw new IllegalArgumentException(name() + ": no node named '" + node + "'");
        }
        return consumers[i];
    }

    @Override
    protected void closeLayers() {
        for (Node n : nodes.subList(1, nodes.size())) {
            if (n.layer() != null) {
                n.layer().close();
            } else {
                n.merge().close();
            }
        }
        for (Tensor t : sums) {
            if (t != null) {
                t.close();
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Graph(").append(name()).append(")");
        for (Node n : nodes.subList(1, nodes.size())) {
            b.append("\n  ").append(n.name()).append(" <- ");
            List<String> in = new ArrayList<>();
            for (int k : n.inputs()) {
                in.add(nodeNames().get(k));
            }
            b.append(String.join(", ", in)).append(": ").append(n.type());
        }
        return b.toString();
    }

    private static Shape batchOfOne(Shape item) {
        int[] d = new int[item.rank() + 1];
        d[0] = 1;
        System.arraycopy(item.dims(), 0, d, 1, item.rank());
        return Shape.of(d);
    }

    /** Every node's output shape in order, or IllegalArgumentException naming the node and its inputs. */
    private static Shape[] propagate(String graph, List<Node> nodes, Shape input) {
        Shape[] s = new Shape[nodes.size()];
        s[0] = input;
        for (int i = 1; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            List<String> names = new ArrayList<>();
            List<Shape> in = new ArrayList<>();
            for (int k : n.inputs()) {
                names.add(k == 0 ? INPUT : nodes.get(k).name());
                in.add(s[k]);
            }
            try {
                s[i] = n.layer() != null ? n.layer().outputShape(in.get(0)) : n.merge().outputShape(names, in);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("graph '" + graph + "': node '" + n.name() + "' cannot take "
                        + Merge.describe(names, in) + ": " + e.getMessage(), e);
            }
        }
        return s;
    }

    /**
     * Declares nodes by name, in any order (an input may name a node declared later), and checks the whole
     * graph in {@link #build()}. The output is the node named in {@link #output}, by default the last declared.
     */
    public static final class Builder {
        private final String name;
        private final Shape inputItemShape;
        /** Declared nodes by name, in declaration order: a layer or a merge, and the names of its inputs. */
        private final Map<String, Object> kinds = new LinkedHashMap<>();
        private final Map<String, List<String>> inputs = new HashMap<>();
        private String output;

        private Builder(String name, Shape inputItemShape) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a Graph needs a non-blank name");
            }
            if (inputItemShape == null) {
                throw new IllegalArgumentException(name + ": a Graph needs the shape of its input items");
            }
            this.name = name;
            this.inputItemShape = inputItemShape;
        }

        /** A node named layer.name() running layer on input's output. */
        public Builder layer(String input, Layer layer) {
            if (layer == null) {
                throw new IllegalArgumentException(name + ": null layer after '" + input + "'");
            }
            return declare(layer.name(), layer, input);
        }

        /** Layers one after the other, the first on input's output; each is a node named by its layer. */
        public Builder chain(String input, Layer... layers) {
            String from = input;
            for (Layer l : layers) {
                layer(from, l);
                from = l.name();
            }
            return this;
        }

        /** A node summing its inputs element-wise (all of one shape): a residual connection. */
        public Builder add(String node, String... inputs) {
            return declare(node, new Merge.Add(node), inputs);
        }

        /** A node stacking its inputs along the channels, in the order given: an inception module's output. */
        public Builder concat(String node, String... inputs) {
            return declare(node, new Merge.Concat(node), inputs);
        }

        /** The node whose output is the network's (by default the last declared). */
        public Builder output(String node) {
            this.output = node;
            return this;
        }

        private Builder declare(String node, Object kind, String... from) {
            if (node == null || node.isBlank() || node.equals(INPUT)) {
                throw new IllegalArgumentException(name + ": a node needs a non-blank name other than '" + INPUT
                        + "', got '" + node + "'");
            }
            if (kinds.containsKey(node)) {
                throw new IllegalArgumentException(name + ": two nodes are named '" + node
                        + "'; node names must be unique (they prefix parameter names)");
            }
            int least = kind instanceof Layer ? 1 : 2;
            if (from == null || from.length < least || (kind instanceof Layer && from.length > 1)) {
                throw new IllegalArgumentException(name + ": node '" + node + "' needs " + (least == 1 ? "one input"
                        : "two or more inputs") + ", got " + (from == null ? "none" : Arrays.toString(from)));
            }
            kinds.put(node, kind);
            inputs.put(node, List.of(from));
            return this;
        }

        /** Checks the graph (see the class comment) and returns it. */
        public Graph build() {
            if (kinds.isEmpty()) {
                throw new IllegalArgumentException(name + ": a Graph needs at least one node");
            }
            List<String> declared = new ArrayList<>(kinds.keySet());
            String out = output != null ? output : declared.get(declared.size() - 1);
            if (!kinds.containsKey(out)) {
                throw new IllegalArgumentException(name + ": the output '" + out + "' is not a node; nodes: "
                        + declared);
            }
            for (String node : declared) {
                for (String in : inputs.get(node)) {
                    if (!in.equals(INPUT) && !kinds.containsKey(in)) {
                        throw new IllegalArgumentException(name + ": node '" + node + "' takes input '" + in
                                + "', which is not a node; nodes: " + declared + " and '" + INPUT + "'");
                    }
                }
            }
            List<String> order = topologicalOrder(declared);
            checkAllLeadTo(out, order);
            List<Node> nodes = new ArrayList<>();
            nodes.add(null);
            Map<String, Integer> index = new HashMap<>();
            index.put(INPUT, 0);
            // the output last: it leads nowhere, so moving it to the end keeps the order topological
            order.remove(out);
            order.add(out);
            for (String node : order) {
                int[] in = inputs.get(node).stream().mapToInt(index::get).toArray();
                Object kind = kinds.get(node);
                nodes.add(kind instanceof Layer l ? new Node(node, l, null, in) : new Node(node, null, (Merge) kind, in));
                index.put(node, nodes.size() - 1);
            }
            propagate(name, nodes, batchOfOne(inputItemShape));
            return new Graph(name, inputItemShape, java.util.Collections.unmodifiableList(nodes));
        }

        /** Kahn's algorithm, the ready node declared first going first; a cycle is an error naming its nodes. */
        private List<String> topologicalOrder(List<String> declared) {
            Map<String, Integer> pending = new HashMap<>();
            Map<String, List<String>> users = new HashMap<>();
            for (String node : declared) {
                int p = 0;
                for (String in : inputs.get(node)) {
                    if (!in.equals(INPUT)) {
                        p++;
                        users.computeIfAbsent(in, k -> new ArrayList<>()).add(node);
                    }
                }
                pending.put(node, p);
            }
            PriorityQueue<String> ready = new PriorityQueue<>((a, b) -> declared.indexOf(a) - declared.indexOf(b));
            declared.stream().filter(n -> pending.get(n) == 0).forEach(ready::add);
            List<String> order = new ArrayList<>();
            while (!ready.isEmpty()) {
                String node = ready.poll();
                order.add(node);
                for (String u : users.getOrDefault(node, List.of())) {
                    if (pending.merge(u, -1, Integer::sum) == 0) {
                        ready.add(u);
                    }
                }
            }
            if (order.size() < declared.size()) {
                List<String> cycle = declared.stream().filter(n -> !order.contains(n)).toList();
                throw new IllegalArgumentException(name + ": the graph has a cycle: nodes " + cycle
                        + " each wait, through their inputs, on one another");
            }
            return order;
        }

        /** Every node must lead to the output, else its work would be lost. */
        private void checkAllLeadTo(String out, List<String> order) {
            java.util.Set<String> useful = new java.util.HashSet<>(List.of(out));
            for (int i = order.size() - 1; i >= 0; i--) {
                if (useful.contains(order.get(i))) {
                    useful.addAll(inputs.get(order.get(i)));
                }
            }
            List<String> unused = order.stream().filter(n -> !useful.contains(n)).toList();
            if (!unused.isEmpty()) {
                throw new IllegalArgumentException(name + ": nodes " + unused + " do not lead to the output '" + out
                        + "'");
            }
        }
    }
}
