package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaTestAccess;
import org.convnet4j.backend.cuda.CudaTestAccess.Labeled;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every GEMM implementation kept (our sgemm_tiled and sgemm_naive kernels, and each cuBLAS binding that
 * loads here) against the CPU backend's gemm, through the raw {@code GemmProvider} interface: all four
 * transpose combinations, padded row strides, batches with a shared operand (stride 0), beta 0 over a
 * NaN-poisoned C and beta != 0 over random C. The padding between C's rows and items must stay untouched.
 */
@GpuTest
class GemmProviderVersionsTest {
    private static CpuBackend cpu;
    private static CudaBackend gpu;
    private static List<Labeled> providers;

    /** One strided batched call; shareA/shareB give that operand stride 0. */
    record GemmCase(boolean transA, boolean transB, int m, int n, int k, int batch, boolean shareA,
                    boolean shareB, float alpha, float beta) {
        @Override
        public String toString() {
            return "transA=" + transA + " transB=" + transB + " m=" + m + " n=" + n + " k=" + k + " batch=" + batch
                    + (shareA ? " A shared" : "") + (shareB ? " B shared" : "") + " beta=" + beta;
        }
    }

    static final List<GemmCase> CASES = List.of(
            new GemmCase(false, false, 37, 29, 53, 3, false, false, 1.25f, 0.5f),
            new GemmCase(true, false, 37, 29, 53, 3, false, false, 1.25f, 0.5f),
            new GemmCase(false, true, 37, 29, 53, 3, false, false, 1.25f, 0.5f),
            new GemmCase(true, true, 37, 29, 53, 3, false, false, 1.25f, 0.5f),
            new GemmCase(false, false, 1, 1, 1, 1, false, false, 1f, 0f),
            new GemmCase(false, false, 130, 70, 300, 2, true, false, 1f, 0f), // conv forward: W shared
            new GemmCase(true, false, 150, 100, 16, 2, true, false, 1f, 0f), // conv backward data: W^T * dy_i
            new GemmCase(false, true, 16, 150, 100, 4, false, false, 1f, 0f), // conv backward filter: dy_i * col_i^T
            new GemmCase(false, false, 65, 65, 17, 1, false, false, -0.5f, 1f),
            new GemmCase(true, true, 128, 64, 64, 2, false, true, 1f, 0f));

    @BeforeAll
    static void open() {
        assumeFalse(NativeBackends.cpuStandIn(), "GEMM providers need the CUDA backend");
        cpu = new CpuBackend();
        gpu = NativeBackends.openCuda();
        List<String> unavailable = new ArrayList<>();
        providers = CudaTestAccess.gemmProviders(gpu, unavailable);
        System.out.println("GEMM providers tested: " + providers.stream().map(Labeled::label).toList());
        unavailable.forEach(u -> System.out.println("GEMM provider not tested here: " + u));
        System.out.println("CudaBackend uses: " + gpu.gemmProvider().name() + "; attempts " + gpu.gemmAttempts());
    }

    @AfterAll
    static void close() {
        if (providers != null) {
            providers.forEach(p -> p.provider().close());
        }
        if (gpu != null) {
            gpu.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    @Test
    void everyProviderMatchesTheCpuGemm() {
        for (Labeled p : providers) {
            for (GemmCase g : CASES) {
                check(p, g);
            }
        }
    }

    /**
     * The opt-in TF32 mode of cuBLAS 13 (-Dconvnet4j.gemm.tf32=true): operands rounded to a 10-bit mantissa,
     * so a product's relative error is about 2^-11 and a K-term sum of unit-size terms drifts by about
     * sqrt(K) * 2^-11 * |term|. Checked on a 256x256x1024 product of values in [-1, 1]: the largest error
     * must stay under 0.05 (sqrt(1024) * 2^-11 = 0.016, times a safety factor of 3), and must exceed 1e-4,
     * which FP32 accumulation never reaches here, so the test also proves TF32 was really on.
     */
    @Test
    void cublasTf32IsWithinItsErrorBound() {
        org.convnet4j.backend.cuda.GemmProvider tf32;
        try {
            tf32 = new org.convnet4j.backend.cuda.Cublas13GemmProvider(gpu.stream(), true);
        } catch (RuntimeException | LinkageError e) {
            org.junit.jupiter.api.Assumptions.abort("cuBLAS 13 does not load here: " + e.getMessage());
            return;
        }
        int m = 256;
        int n = 256;
        int k = 1024;
        SplittableRandom r = new SplittableRandom(11);
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[] expected;
        try (Tensor ta = cpu.tensor(Shape.of(m, k), a); Tensor tb = cpu.tensor(Shape.of(k, n), b);
             Tensor tc = cpu.allocate(Shape.of(m, n))) {
            cpu.gemm(ta, false, tb, false, tc, 1f, 0f);
            expected = cpu.toFloatArray(tc);
        }
        float[] actual;
        try (Tensor da = gpu.tensor(Shape.of(m, k), a); Tensor db = gpu.tensor(Shape.of(k, n), b);
             Tensor dc = gpu.allocate(Shape.of(m, n))) {
            gpu.fill(dc, Float.NaN);
            tf32.sgemmStridedBatched(false, false, m, n, k, 1f, CudaTestAccess.address(da), k, 0,
                    CudaTestAccess.address(db), n, 0, 0f, CudaTestAccess.address(dc), n, 0, 1);
            actual = gpu.toFloatArray(dc);
        } finally {
            tf32.close();
        }
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= 0.05)) { // NaN fails too
                fail("TF32 GEMM element " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
            maxDiff = Math.max(maxDiff, d);
        }
        System.out.printf("GEMM cublas13-tf32 256x256x1024: TENSOR OK, maxdiff = %.3e (bound 0.05)%n", maxDiff);
        if (maxDiff <= 1e-4) {
            fail("TF32 GEMM matched FP32 to " + maxDiff + ": TF32 math does not seem to be on");
        }
    }

    private static void check(Labeled p, GemmCase g) {
        SplittableRandom r = new SplittableRandom(g.toString().hashCode());
        int rowsA = g.transA() ? g.k() : g.m();
        int colsA = g.transA() ? g.m() : g.k();
        int rowsB = g.transB() ? g.n() : g.k();
        int colsB = g.transB() ? g.k() : g.n();
        int lda = colsA + 3;
        int ldb = colsB + 1;
        int ldc = g.n() + 2;
        long strideA = g.shareA() ? 0 : (long) rowsA * lda + 5;
        long strideB = g.shareB() ? 0 : (long) rowsB * ldb + 7;
        long strideC = (long) g.m() * ldc + 3;
        float[] a = random(r, (int) (strideA * (g.batch() - 1) + (long) rowsA * lda));
        float[] b = random(r, (int) (strideB * (g.batch() - 1) + (long) rowsB * ldb));
        float[] c0 = g.beta() == 0 ? nan((int) (strideC * (g.batch() - 1) + (long) g.m() * ldc))
                : random(r, (int) (strideC * (g.batch() - 1) + (long) g.m() * ldc));
        float[] c;
        try (Tensor da = gpu.tensor(Shape.of(a.length), a);
             Tensor db = gpu.tensor(Shape.of(b.length), b);
             Tensor dc = gpu.tensor(Shape.of(c0.length), c0)) {
            p.provider().sgemmStridedBatched(g.transA(), g.transB(), g.m(), g.n(), g.k(), g.alpha(),
                    CudaTestAccess.address(da), lda, strideA, CudaTestAccess.address(db), ldb, strideB,
                    g.beta(), CudaTestAccess.address(dc), ldc, strideC, g.batch());
            c = gpu.toFloatArray(dc);
        }
        String label = "GEMM " + p.label() + ", " + g;
        boolean[] inside = new boolean[c0.length];
        float[] expected = new float[g.m() * g.n() * g.batch()];
        float[] actual = new float[expected.length];
        for (int item = 0; item < g.batch(); item++) {
            float[] ci = cpuGemmItem(g, a, item * strideA, lda, rowsA, colsA, b, item * strideB, ldb, rowsB, colsB,
                    c0, item * strideC, ldc);
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    int at = (int) (item * strideC + (long) i * ldc + j);
                    inside[at] = true;
                    expected[(item * g.m() + i) * g.n() + j] = ci[i * g.n() + j];
                    actual[(item * g.m() + i) * g.n() + j] = c[at];
                }
            }
        }
        for (int i = 0; i < c0.length && !NativeBackends.fakeDevice(); i++) {
            if (!inside[i] && Float.floatToRawIntBits(c[i]) != Float.floatToRawIntBits(c0[i])) {
                fail(label + ": C[" + i + "] lies in the padding and was overwritten (" + c0[i] + " -> " + c[i] + ")");
            }
        }
        CpuGpu.check(label, expected, actual, Tolerance.GEMM);
    }

    /** One item by CpuBackend.gemm on unpadded copies of the stored matrices. */
    private static float[] cpuGemmItem(GemmCase g, float[] a, long aOff, int lda, int rowsA, int colsA,
                                       float[] b, long bOff, int ldb, int rowsB, int colsB,
                                       float[] c, long cOff, int ldc) {
        try (Tensor ta = cpu.tensor(Shape.of(rowsA, colsA), gather(a, aOff, lda, rowsA, colsA));
             Tensor tb = cpu.tensor(Shape.of(rowsB, colsB), gather(b, bOff, ldb, rowsB, colsB));
             Tensor tc = cpu.tensor(Shape.of(g.m(), g.n()), gather(c, cOff, ldc, g.m(), g.n()))) {
            cpu.gemm(ta, g.transA(), tb, g.transB(), tc, g.alpha(), g.beta());
            return cpu.toFloatArray(tc);
        }
    }

    private static float[] gather(float[] src, long off, int ld, int rows, int cols) {
        float[] m = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(src, (int) (off + (long) i * ld), m, i * cols, cols);
        }
        return m;
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static float[] nan(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, Float.NaN);
        return v;
    }
}
