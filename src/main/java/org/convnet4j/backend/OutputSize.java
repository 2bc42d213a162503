package org.convnet4j.backend;

/** The output-size formula shared by convolution and pooling, with its checks. */
public final class OutputSize {
    private OutputSize() {
    }

    /**
     * out = (in + 2*pad - dilation*(kernel-1) - 1) / stride + 1.
     *
     * @param what     names the layer and axis for error messages, e.g. "conv2 height"
     * @param rounding EXACT rejects a non-integer result
     */
    public static int of(String what, int in, int kernel, int stride, int pad, int dilation,
                         OutputRounding rounding) {
        int span = dilation * (kernel - 1) + 1;
        int numerator = in + 2 * pad - span;
        String formula = "(H + 2P - D*(FH-1) - 1)/S + 1 = (" + in + " + 2*" + pad + " - " + dilation
                + "*(" + kernel + "-1) - 1)/" + stride + " + 1";
        if (numerator < 0) {
            throw new IllegalArgumentException(what + ": the window (" + span + " after dilation) is larger than"
                    + " the padded input (" + (in + 2 * pad) + "): " + formula + " < 1");
        }
        if (rounding == OutputRounding.EXACT && numerator % stride != 0) {
            throw new IllegalArgumentException(what + ": output size " + formula + " = "
                    + (numerator / (double) stride + 1) + " is not a whole number; change the padding or"
                    + " stride, or opt in to OutputRounding.FLOOR");
        }
        return numerator / stride + 1;
    }
}
