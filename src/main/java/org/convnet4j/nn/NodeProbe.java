package org.convnet4j.nn;

import java.util.function.Supplier;

/**
 * Wraps every node's forward and backward call of a {@link Network} pass: {@code bench} synchronizes and
 * times each one. {@link #NONE} just makes the call.
 */
public interface NodeProbe {

    /** Makes the call, nothing else. */
    NodeProbe NONE = new NodeProbe() {
        @Override
        public <T> T run(String node, String type, boolean backward, Supplier<T> call) {
            return call.get();
        }
    };

    /**
     * Runs one node's forward (backward false: call returns the node's output tensor) or backward, and
     * returns what call returns.
     *
     * @param node the node's (or layer's) name
     * @param type its kind, for people: the layer's class name, "Add" or "Concat"
     */
    <T> T run(String node, String type, boolean backward, Supplier<T> call);
}
