package org.convnet4j.backend;

import static org.convnet4j.backend.OpChecks.minRank;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/** The argument checks of the merge family's ops, as {@link OpChecks} describes them. */
public final class MergeChecks {
    private final OpChecks c;

    MergeChecks(OpChecks checks) {
        this.c = checks;
    }

    /** a, b and y FLOAT32 of one shape (y may be a or b). */
    public void add(Tensor a, Tensor b, Tensor y) {
        String op = "add";
        c.open(op);
        c.allShaped(op, c.floats(op, "a", a), "b", b, "y", y);
    }

    /**
     * src [N, Cs, ...] and dst [N, Cd, ...] with the same N and the same sizes after the channel, and the
     * channel ranges [srcChannel, srcChannel + channels) and [dstChannel, dstChannel + channels) inside them.
     */
    public ChannelCopyGeometry copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int channels) {
        String op = "copyChannels";
        c.open(op);
        Shape s = c.floats(op, "src", src);
        Shape d = c.floats(op, "dst", dst);
        minRank(op, "src", s, 2);
        if (!sameButChannels(s, d)) {
            throw new IllegalArgumentException(op + ": src " + s + " and dst " + d
                    + " must differ only in their channels (dimension 1)");
        }
        if (channels < 1 || srcChannel < 0 || dstChannel < 0 || srcChannel + channels > s.dim(1)
                || dstChannel + channels > d.dim(1)) {
            throw new IllegalArgumentException(op + ": channels [" + srcChannel + ", " + srcChannel + " + " + channels
                    + ") of src " + s + " into [" + dstChannel + ", " + dstChannel + " + " + channels + ") of dst " + d
                    + ": both ranges must be non-empty and inside their tensor");
        }
        ChannelGeometry gs = ChannelGeometry.of(s);
        return new ChannelCopyGeometry(gs.n(), s.dim(1), d.dim(1), gs.inner(), srcChannel, dstChannel, channels);
    }

    /** Whether a and b have the same rank and dimensions except dimension 1. */
    static boolean sameButChannels(Shape a, Shape b) {
        if (a.rank() != b.rank()) {
            return false;
        }
        for (int i = 0; i < a.rank(); i++) {
            if (i != 1 && a.dim(i) != b.dim(i)) {
                return false;
            }
        }
        return true;
    }
}
