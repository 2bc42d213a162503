package org.convnet4j.backend;

/** The three passes of a convolution, each of which may run a different algorithm ({@link ConvAlgorithms}). */
public enum ConvPass {
    /** y = conv(x, w) + bias. */
    FORWARD("forward"),
    /** dx from dy and w. */
    BACKWARD_DATA("backward data"),
    /** dw (and dbias) from x and dy. */
    BACKWARD_FILTER("backward filter");

    private final String label;

    ConvPass(String label) {
        this.label = label;
    }

    /** For people: "forward", "backward data", "backward filter". */
    public String label() {
        return label;
    }
}
