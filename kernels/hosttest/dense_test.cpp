// dense_test.cpp: kernels/dense.cu: our GEMM (sgemm_tiled and sgemm_naive, every transpose, strided batches,
// beta 0 over NaN) against a double-precision product, and the per-channel bias add and gradient.
#include "harness.h"

namespace dense_test {

using namespace hosttest;

void test_gemm(const int M, const int N, const int K, const int batch) {
    for (const char* kernel : {"sgemm_tiled", "sgemm_naive"}) {
        for (int tA = 0; tA < 2; ++tA) {
            for (int tB = 0; tB < 2; ++tB) {
                for (int shareA = 0; shareA < 2; ++shareA) {
                    int rowsA = tA ? K : M, colsA = tA ? M : K;
                    int rowsB = tB ? N : K, colsB = tB ? K : N;
                    int lda = colsA + 3, ldb = colsB + 1, ldc = N + 2;
                    long long sA = shareA ? 0 : (long long)rowsA * lda + 5;
                    long long sB = (long long)rowsB * ldb + 2, sC = (long long)M * ldc + 7;
                    auto A = random_vector(sA * (batch - 1) + (size_t)rowsA * lda);
                    auto B = random_vector(sB * (batch - 1) + (size_t)rowsB * ldb);
                    auto C0 = random_vector(sC * (batch - 1) + (size_t)M * ldc);
                    for (float beta : {0.5f, 0.0f}) {
                        auto C = C0;
                        if (beta == 0.0f) {
                            std::fill(C.begin(), C.end(), kNaN);
                        }
                        std::vector<double> want(C.begin(), C.end());
                        for (int z = 0; z < batch; ++z) {
                            for (int i = 0; i < M; ++i) {
                                for (int j = 0; j < N; ++j) {
                                    double acc = 0;
                                    for (int p = 0; p < K; ++p) {
                                        double a = tA ? A[z * sA + (size_t)p * lda + i] : A[z * sA + (size_t)i * lda + p];
                                        double b = tB ? B[z * sB + (size_t)j * ldb + p] : B[z * sB + (size_t)p * ldb + j];
                                        acc += a * b;
                                    }
                                    size_t at = z * sC + (size_t)i * ldc + j;
                                    want[at] = beta == 0.0f ? 1.5 * acc : 1.5 * acc + beta * (double)C0[at];
                                }
                            }
                        }
                        gemm(kernel, tA, tB, M, N, K, 1.5f, A.data(), lda, sA, B.data(), ldb, sB, beta, C.data(), ldc,
                             sC, batch);
                        char name[160];
                        std::snprintf(name, sizeof name, "%s %dx%dx%d batch %d transA=%d transB=%d sharedA=%d beta=%g",
                                      kernel, M, N, K, batch, tA, tB, shareA, beta);
                        check(name, C, want, 1e-4, 1e-4);
                    }
                }
            }
        }
    }
}

void test_bias() {
    const int N = 3, C = 5, S = 7;
    auto y0 = random_vector(N * C * S);
    auto bias = random_vector(C);
    auto y = y0;
    launch_n(N * C * S, [&] { add_bias_f32(y.data(), bias.data(), N * C * S, C, S); });
    std::vector<double> want(y.size());
    for (size_t i = 0; i < y.size(); ++i) want[i] = (double)y0[i] + bias[(i / S) % C];
    check("add bias [3,5,7]", y, want, 1e-6, 1e-6);
    // a fully connected layer's bias: S = 1, N = 300 rows (more rows than threads)
    auto dy = random_vector(300 * 4);
    std::vector<float> db(4, 0.25f);
    host_launch(dim3{4, 1, 1}, 256, [&] { bias_grad_f32(dy.data(), db.data(), 300, 4, 1); });
    std::vector<double> wdb(4, 0.25);
    for (int n = 0; n < 300; ++n) for (int c = 0; c < 4; ++c) wdb[c] += dy[n * 4 + c];
    check("bias gradient [300,4] accumulating", db, wdb, 1e-5, 1e-5);
}

HOSTTEST_FAMILY(dense) {
    test_gemm(67, 45, 33, 3);   // edges inside one tile
    test_gemm(300, 260, 37, 2); // several tiles both ways, K not a multiple of the k step
    test_bias();
}

} // namespace dense_test
