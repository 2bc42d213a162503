package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertBitIdentical;

import java.util.ArrayList;
import java.util.List;
import org.convnet4j.backend.Activation;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/**
 * The same inputs give bit-identical outputs twice with the same thread count, and with the own SGEMM
 * for 1, 2 or 3 threads.
 */
class CpuDeterminismTest {

    /** Runs a small conv net's forward and backward ops and returns every output, in order. */
    private static List<float[]> run(CpuBackend b) {
        List<float[]> out = new ArrayList<>();
        Shape xs = Shape.of(5, 3, 17, 15);
        Shape ws = Shape.of(6, 3, 3, 3);
        ConvSpec conv = ConvSpec.of(2, 1);
        Shape ys = conv.outputShape("t", xs, ws);
        PoolSpec pool = new PoolSpec(3, 3, 2, 2, 0, 0, org.convnet4j.backend.OutputRounding.FLOOR);
        Shape ps = pool.outputShape("t", ys);
        int features = ps.sizePerItem();
        try (Tensor x = b.tensor(xs, RandomTensors.uniform(1, xs.size()));
             Tensor w = b.tensor(ws, RandomTensors.uniform(2, ws.size()));
             Tensor bias = b.tensor(Shape.of(6), RandomTensors.uniform(3, 6));
             Tensor y = b.allocate(ys); Tensor scale = b.allocate(ys); Tensor yl = b.allocate(ys);
             Tensor p = b.allocate(ps); Tensor sw = b.allocate(ps, DataType.INT32);
             Tensor fw = b.tensor(Shape.of(10, features), RandomTensors.uniform(4, 10 * features));
             Tensor logits = b.allocate(Shape.of(5, 10)); Tensor probs = b.allocate(Shape.of(5, 10));
             Tensor labels = b.intTensor(Shape.of(5), RandomTensors.ints(5, 5, 10));
             Tensor loss = b.allocate(Shape.of(1)); Tensor dlogits = b.allocate(Shape.of(5, 10));
             Tensor dp = b.allocate(ps); Tensor dfw = b.allocate(Shape.of(10, features));
             Tensor dyl = b.allocate(ys); Tensor dy = b.allocate(ys); Tensor dx = b.allocate(xs);
             Tensor dw = b.allocate(ws); Tensor db = b.allocate(Shape.of(6))) {
            b.conv2dForward(x, w, bias, conv, y);
            b.activationForward(Activation.RELU, y, y);
            b.lrnForward(y, LrnSpec.alexNet(), scale, yl);
            b.maxPoolForward(yl, pool, p, sw);
            b.linearForward(p, fw, null, logits);
            b.softmaxCrossEntropyForward(logits, labels, probs, loss);
            b.softmaxCrossEntropyBackward(probs, labels, dlogits);
            b.linearBackward(p, fw, dlogits, dp, dfw, null);
            b.maxPoolBackward(dp, sw, pool, dyl);
            b.lrnBackward(y, yl, scale, dyl, LrnSpec.alexNet(), dy);
            b.activationBackward(Activation.RELU, y, dy, dy);
            b.conv2dBackwardData(dy, w, conv, dx);
            b.conv2dBackwardFilter(x, dy, conv, dw, db);
            try (Tensor m = b.allocate(ws); Tensor v = b.allocate(ws)) {
                b.adamUpdate(w, dw, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 5e-4f, 1);
            }
            for (Tensor t : new Tensor[] {y, yl, p, logits, probs, loss, dlogits, dp, dfw, dyl, dy, dx, dw, db, w}) {
                out.add(b.toFloatArray(t));
            }
        }
        return out;
    }

    /** Whatever GEMM the backend uses (a native BLAS where one loads): bit-identical for a fixed thread count. */
    @Test
    void sameResultTwiceForAFixedThreadCount() {
        for (int threads : new int[] {1, 2, 3}) {
            List<float[]> reference;
            try (CpuBackend first = new CpuBackend(threads)) {
                reference = run(first);
            }
            try (CpuBackend b = new CpuBackend(threads)) {
                for (int repeat = 0; repeat < 2; repeat++) {
                    assertAllBitIdentical(reference, run(b), threads + " threads, run " + repeat);
                }
            }
        }
    }

    /** The own SGEMM sums in the same order whatever the partition: bit-identical for any thread count. */
    @Test
    void ownSgemmSameResultForAnyThreadCount() {
        String before = System.getProperty(CpuGemm.PROPERTY);
        System.setProperty(CpuGemm.PROPERTY, "java");
        try {
            List<float[]> reference;
            try (CpuBackend one = new CpuBackend(1)) {
                reference = run(one);
            }
            for (int threads : new int[] {2, 3}) {
                try (CpuBackend b = new CpuBackend(threads)) {
                    assertAllBitIdentical(reference, run(b), "own SGEMM, " + threads + " threads");
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty(CpuGemm.PROPERTY);
            } else {
                System.setProperty(CpuGemm.PROPERTY, before);
            }
        }
    }

    private static void assertAllBitIdentical(List<float[]> expected, List<float[]> got, String label) {
        for (int i = 0; i < got.size(); i++) {
            assertBitIdentical(expected.get(i), got.get(i), "output " + i + ", " + label);
        }
    }
}
