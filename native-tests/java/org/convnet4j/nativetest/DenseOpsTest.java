package org.convnet4j.nativetest;

import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** gemm, linear forward and backward, bias add and bias gradient: CUDA against the CPU backend. */
class DenseOpsTest extends NativeOpTest {

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4} beta={5}")
    @CsvSource({
            "37, 29, 53, false, false, 0",
            "37, 29, 53, true,  false, 0",
            "37, 29, 53, false, true,  0",
            "37, 29, 53, true,  true,  0",
            "37, 29, 53, false, false, 0.5",
            "37, 29, 53, true,  true,  -1",
            "1,  17, 5,  false, true,  0",
            "64, 1,  33, true,  false, 0.25",
            "130, 70, 300, false, true, 0",
    })
    void gemm(int m, int n, int k, boolean transA, boolean transB, float beta) {
        Twin a = both.uniform(transA ? Shape.of(k, m) : Shape.of(m, k));
        Twin b = both.uniform(transB ? Shape.of(n, k) : Shape.of(k, n));
        // beta == 0 overwrites c without reading it: poisoned. Otherwise c is read: random on both sides.
        Twin c = beta == 0 ? both.output(Shape.of(m, n)) : both.accumulator(Shape.of(m, n));
        both.cpu.gemm(a.cpu(), transA, b.cpu(), transB, c.cpu(), 1.25f, beta);
        both.gpu.gemm(a.gpu(), transA, b.gpu(), transB, c.gpu(), 1.25f, beta);
        both.check("gemm transA=" + transA + " transB=" + transB + " beta=" + beta, c, Tolerance.GEMM);
    }

    @ParameterizedTest(name = "x={0} out={1} bias={2}")
    @CsvSource({
            "7x3x4x5, 13, true",
            "7x3x4x5, 13, false",
            "1x33,    1,  true",
            "64x400,  120, true",
    })
    void linearForward(String xDims, int out, boolean withBias) {
        Shape xs = Shapes.parse(xDims);
        Twin x = both.uniform(xs);
        Twin w = both.uniform(Shape.of(out, xs.sizePerItem()));
        Twin bias = withBias ? both.uniform(Shape.of(out)) : null;
        Twin y = both.output(Shape.of(xs.n(), out));
        both.cpu.linearForward(x.cpu(), w.cpu(), withBias ? bias.cpu() : null, y.cpu());
        both.gpu.linearForward(x.gpu(), w.gpu(), withBias ? bias.gpu() : null, y.gpu());
        both.check("linearForward y bias=" + withBias, y, Tolerance.GEMM);
    }

    @ParameterizedTest(name = "x={0} out={1} dx={2} bias={3}")
    @CsvSource({
            "7x3x4x5, 13, true,  true",
            "7x3x4x5, 13, false, true",
            "5x9,     4,  true,  false",
            "1x33,    35, true,  true",
            "64x400,  120, true, true",
    })
    void linearBackward(String xDims, int out, boolean withDx, boolean withBias) {
        Shape xs = Shapes.parse(xDims);
        Twin x = both.uniform(xs);
        Twin w = both.uniform(Shape.of(out, xs.sizePerItem()));
        Twin dy = both.uniform(Shape.of(xs.n(), out));
        Twin dx = withDx ? both.output(xs) : null;
        Twin dw = both.accumulator(w.cpu().shape());
        Twin dbias = withBias ? both.accumulator(Shape.of(out)) : null;
        both.cpu.linearBackward(x.cpu(), w.cpu(), dy.cpu(), withDx ? dx.cpu() : null, dw.cpu(),
                withBias ? dbias.cpu() : null);
        both.gpu.linearBackward(x.gpu(), w.gpu(), dy.gpu(), withDx ? dx.gpu() : null, dw.gpu(),
                withBias ? dbias.gpu() : null);
        if (withDx) {
            both.check("linearBackward dx", dx, Tolerance.GEMM);
        }
        both.check("linearBackward dw (accumulated)", dw, Tolerance.GEMM);
        if (withBias) {
            both.check("linearBackward dbias (accumulated)", dbias, Tolerance.REDUCTION);
        }
    }

    @ParameterizedTest(name = "y={0}")
    @CsvSource({"3x35x5x7", "9x13", "1x1x1x1", "2x3x4"})
    void addBias(String dims) {
        Shape s = Shapes.parse(dims);
        Twin y = both.uniform(s); // y += bias: y is read and written
        Twin bias = both.uniform(Shape.of(s.dim(1)));
        both.cpu.addBias(y.cpu(), bias.cpu());
        both.gpu.addBias(y.gpu(), bias.gpu());
        both.check("addBias y", y, Tolerance.EXACT);
    }

    @ParameterizedTest(name = "dy={0}")
    @CsvSource({"4x35x6x7", "9x13", "1x3x1x1", "64x6x28x28"})
    void biasGradient(String dims) {
        Shape s = Shapes.parse(dims);
        Twin dy = both.uniform(s);
        Twin dbias = both.accumulator(Shape.of(s.dim(1)));
        both.cpu.biasGradient(dy.cpu(), dbias.cpu());
        both.gpu.biasGradient(dy.gpu(), dbias.gpu());
        both.check("biasGradient dbias (accumulated)", dbias, Tolerance.REDUCTION);
    }

    @Test
    void gemmWithMismatchedInnerSizesIsRejectedLikeOnTheCpu() {
        Twin a = both.uniform(Shape.of(3, 4));
        Twin b = both.uniform(Shape.of(5, 6));
        Twin c = both.output(Shape.of(3, 6));
        rejectedByBoth("gemm with inner sizes 4 and 5", IllegalArgumentException.class,
                () -> both.cpu.gemm(a.cpu(), false, b.cpu(), false, c.cpu(), 1, 0),
                () -> both.gpu.gemm(a.gpu(), false, b.gpu(), false, c.gpu(), 1, 0));
    }
}
