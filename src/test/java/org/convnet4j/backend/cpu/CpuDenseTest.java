package org.convnet4j.backend.cpu;

import static org.convnet4j.testing.Assertions.assertClose;

import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.testing.RandomTensors;
import org.junit.jupiter.api.Test;

/** gemm, the fully connected layer and the bias ops against direct sums. */
class CpuDenseTest extends CpuFamilyTest {
    @Test
    void gemmOnTensorsWithTransposes() {
        int m = 7;
        int n = 5;
        int k = 9;
        float[] a = RandomTensors.uniform(1, k * m);   // stored [k, m]: transposed
        float[] b = RandomTensors.uniform(2, n * k);   // stored [n, k]: transposed
        float[] c0 = RandomTensors.uniform(3, m * n);
        double[] expected = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[p * m + i] * b[j * k + p];
                }
                expected[i * n + j] = 2.0 * s + 0.5 * c0[i * n + j];
            }
        }
        try (Tensor ta = cpu.tensor(Shape.of(k, m), a); Tensor tb = cpu.tensor(Shape.of(n, k), b);
             Tensor tc = cpu.tensor(Shape.of(m, n), c0)) {
            cpu.gemm(ta, true, tb, true, tc, 2f, 0.5f);
            assertClose(expected, cpu.toFloatArray(tc), 1e-5, 1e-5, "gemm tensors");
        }
    }

    @Test
    void linearForwardAndBackward() {
        int n = 3;
        int k = 2 * 3 * 4;
        int m = 5;
        float[] x = RandomTensors.uniform(4, n * k);
        float[] w = RandomTensors.uniform(5, m * k);
        float[] b = RandomTensors.uniform(6, m);
        float[] dy = RandomTensors.uniform(7, n * m);
        float[] dw0 = RandomTensors.uniform(8, m * k);
        float[] db0 = RandomTensors.uniform(9, m);
        double[] y = new double[n * m];
        double[] dx = new double[n * k];
        double[] dw = new double[m * k];
        double[] db = new double[m];
        for (int i = 0; i < m * k; i++) {
            dw[i] = dw0[i];
        }
        for (int j = 0; j < m; j++) {
            db[j] = db0[j];
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = b[j];
                for (int p = 0; p < k; p++) {
                    s += (double) x[i * k + p] * w[j * k + p];
                    dx[i * k + p] += (double) dy[i * m + j] * w[j * k + p];
                    dw[j * k + p] += (double) dy[i * m + j] * x[i * k + p];
                }
                y[i * m + j] = s;
                db[j] += dy[i * m + j];
            }
        }
        // x is rank 4 [n, 2, 3, 4]: linear flattens it per item.
        try (Tensor tx = cpu.tensor(Shape.of(n, 2, 3, 4), x); Tensor tw = cpu.tensor(Shape.of(m, k), w);
             Tensor tb = cpu.tensor(Shape.of(m), b); Tensor ty = cpu.allocate(Shape.of(n, m));
             Tensor tdy = cpu.tensor(Shape.of(n, m), dy); Tensor tdx = cpu.allocate(Shape.of(n, 2, 3, 4));
             Tensor tdw = cpu.tensor(Shape.of(m, k), dw0); Tensor tdb = cpu.tensor(Shape.of(m), db0)) {
            cpu.fill(ty, Float.NaN);
            cpu.linearForward(tx, tw, tb, ty);
            assertClose(y, cpu.toFloatArray(ty), 1e-5, 1e-5, "linear forward");
            cpu.fill(tdx, Float.NaN);
            cpu.linearBackward(tx, tw, tdy, tdx, tdw, tdb);
            assertClose(dx, cpu.toFloatArray(tdx), 1e-5, 1e-5, "linear dx");
            assertClose(dw, cpu.toFloatArray(tdw), 1e-5, 1e-5, "linear dw (accumulated)");
            assertClose(db, cpu.toFloatArray(tdb), 1e-5, 1e-5, "linear db (accumulated)");
            // dx may be null; no bias.
            cpu.linearForward(tx, tw, null, ty);
            double[] yNoBias = y.clone();
            for (int i = 0; i < n * m; i++) {
                yNoBias[i] -= b[i % m];
            }
            assertClose(yNoBias, cpu.toFloatArray(ty), 1e-5, 1e-5, "linear forward without bias");
            cpu.linearBackward(tx, tw, tdy, null, tdw, null);
            double[] dw2 = dw.clone();
            for (int i = 0; i < m * k; i++) {
                dw2[i] += dw[i] - dw0[i];
            }
            assertClose(dw2, cpu.toFloatArray(tdw), 1e-5, 1e-5, "linear dw accumulated twice");
        }
    }

    @Test
    void addBiasAndBiasGradient() {
        Shape s = Shape.of(2, 3, 4, 5);
        float[] y = RandomTensors.uniform(10, s.size());
        float[] b = RandomTensors.uniform(11, 3);
        float[] db0 = RandomTensors.uniform(12, 3);
        double[] expected = new double[s.size()];
        double[] db = {db0[0], db0[1], db0[2]};
        for (int i = 0; i < s.size(); i++) {
            int c = (i / 20) % 3;
            expected[i] = y[i] + b[c];
            db[c] += y[i];
        }
        try (Tensor ty = cpu.tensor(s, y); Tensor tb = cpu.tensor(Shape.of(3), b);
             Tensor tdb = cpu.tensor(Shape.of(3), db0)) {
            cpu.biasGradient(ty, tdb);
            assertClose(db, cpu.toFloatArray(tdb), 1e-5, 1e-5, "bias gradient");
            cpu.addBias(ty, tb);
            assertClose(expected, cpu.toFloatArray(ty), 1e-6, 1e-6, "add bias");
        }
        // rank 2: [N, C]
        try (Tensor ty = cpu.tensor(Shape.of(2, 3), new float[] {1, 2, 3, 4, 5, 6});
             Tensor tb = cpu.tensor(Shape.of(3), new float[] {10, 20, 30})) {
            cpu.addBias(ty, tb);
            assertClose(new float[] {11, 22, 33, 14, 25, 36}, cpu.toFloatArray(ty), 0, 0, "add bias rank 2");
        }
    }
}
