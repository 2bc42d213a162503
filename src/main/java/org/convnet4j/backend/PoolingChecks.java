package org.convnet4j.backend;

import static org.convnet4j.backend.OpChecks.notNull;
import static org.convnet4j.backend.OpChecks.rank;
import static org.convnet4j.backend.OpChecks.shape;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/** The argument checks of the pooling family's ops, as {@link OpChecks} describes them. */
public final class PoolingChecks {
    private final OpChecks c;

    PoolingChecks(OpChecks checks) {
        this.c = checks;
    }

    public PoolGeometry maxPoolForward(Tensor x, PoolSpec spec, Tensor y, Tensor switches) {
        String op = "maxPoolForward";
        PoolGeometry g = pool(op, "x", x, spec);
        c.allShaped(op, g.outputShape(), "y", y);
        shape(op, "switches", c.tensor(op, "switches", switches, DataType.INT32).shape(), g.outputShape());
        return g;
    }

    public PoolGeometry maxPoolBackward(Tensor dy, Tensor switches, PoolSpec spec, Tensor dx) {
        String op = "maxPoolBackward";
        PoolGeometry g = pool(op, "dx", dx, spec);
        c.allShaped(op, g.outputShape(), "dy", dy);
        shape(op, "switches", c.tensor(op, "switches", switches, DataType.INT32).shape(), g.outputShape());
        return g;
    }

    public PoolGeometry avgPoolForward(Tensor x, PoolSpec spec, Tensor y) {
        String op = "avgPoolForward";
        PoolGeometry g = pool(op, "x", x, spec);
        c.allShaped(op, g.outputShape(), "y", y);
        return g;
    }

    public PoolGeometry avgPoolBackward(Tensor dy, PoolSpec spec, Tensor dx) {
        String op = "avgPoolBackward";
        PoolGeometry g = pool(op, "dx", dx, spec);
        c.allShaped(op, g.outputShape(), "dy", dy);
        return g;
    }

    /** The geometry from the input (or dx), with the output-size formula. */
    private PoolGeometry pool(String op, String inName, Tensor in, PoolSpec spec) {
        c.open(op);
        Shape sIn = c.floats(op, inName, in);
        notNull(op, "spec", spec);
        return PoolGeometry.of(op, sIn, spec);
    }

    /** x [N, C, H, W], y [N, C, 1, 1]; the geometry's inner is H*W. */
    public ChannelGeometry globalAvgPoolForward(Tensor x, Tensor y) {
        return global("globalAvgPoolForward", "x", x, "y", y);
    }

    /** dy [N, C, 1, 1], dx [N, C, H, W]. */
    public ChannelGeometry globalAvgPoolBackward(Tensor dy, Tensor dx) {
        return global("globalAvgPoolBackward", "dx", dx, "dy", dy);
    }

    private ChannelGeometry global(String op, String planesName, Tensor planes, String meansName, Tensor means) {
        c.open(op);
        Shape s = c.floats(op, planesName, planes);
        rank(op, planesName, s, 4);
        c.allShaped(op, Shape.of(s.n(), s.c(), 1, 1), meansName, means);
        return ChannelGeometry.of(s);
    }
}
