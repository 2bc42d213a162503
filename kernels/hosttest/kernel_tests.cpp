// kernel_tests.cpp: runs every kernel of kernels/*.cu on the CPU (cuda_host_shim.h) against plain double
// references, with the launch sequences and geometry CudaBackend uses (im2col + batched GEMM + col2im for
// convolution, chunks of images, one block per channel for reductions). Run by run.sh (and by
// KernelHostTest where g++ exists).
//   kernel_tests             every check; prints one line per check and "N passed, M failed"; exit 1 on failure
//   kernel_tests dropout SEED P N   prints the N mask values of dropout_forward_f32 as float bit patterns
//                                   (hex), for the Java test to compare with DropoutMask bit for bit
#include "cuda_host_shim.h"

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

#include "all_kernels.inc"

namespace {

std::mt19937 rng(20251123);
int passed = 0;
int failed = 0;

std::vector<float> random_vector(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) {
        x = d(rng);
    }
    return v;
}

std::vector<float> integer_vector(size_t n, int lo, int hi) {
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) {
        x = (float)d(rng);
    }
    return v;
}

template <typename T>
void check(const std::string& what, const std::vector<T>& got, const std::vector<double>& want, double atol,
           double rtol) {
    int bad = 0;
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        double g = (double)got[i];
        double diff = std::fabs(g - want[i]);
        bool ok = std::isfinite(g) == std::isfinite(want[i]) && (!std::isfinite(g) || diff <= atol + rtol * std::fabs(want[i]));
        if (std::isnan(want[i])) {
            ok = std::isnan(g);
        }
        if (std::isfinite(diff)) {
            worst = std::max(worst, diff);
        }
        if (!ok && bad++ < 5) {
            std::printf("    %s[%zu]: got %.9g, want %.9g\n", what.c_str(), i, g, want[i]);
        }
    }
    if (got.size() != want.size()) {
        std::printf("    %s: got %zu values, want %zu\n", what.c_str(), got.size(), want.size());
        bad++;
    }
    std::printf("%s %s (%zu values, max |diff| %.3g)\n", bad ? "FAIL" : "ok  ", what.c_str(), want.size(), worst);
    (bad ? failed : passed)++;
}

unsigned grid_for(long long n) {
    long long blocks = (n + 255) / 256;
    return (unsigned)std::max(1LL, std::min(65536LL, blocks));
}

// A grid-stride launch, as KernelLauncher.launch does.
void launch_n(long long n, const std::function<void()>& body) {
    host_launch(dim3{grid_for(n), 1, 1}, 256, body);
}

void gemm(const char* kernel, int tA, int tB, int M, int N, int K, float alpha, const float* A, int lda, long long sA,
          const float* B, int ldb, long long sB, float beta, float* C, int ldc, long long sC, int batch) {
    dim3 grid{(unsigned)((N + 63) / 64), (unsigned)((M + 63) / 64), (unsigned)batch};
    std::string k(kernel);
    host_launch(grid, 256, [&] {
        if (k == "sgemm_tiled") {
            sgemm_tiled(tA, tB, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC);
        } else {
            sgemm_naive(tA, tB, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC);
        }
    });
}

// ------------------------------------------------------------------------------------------------ GEMM

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
                            std::fill(C.begin(), C.end(), std::numeric_limits<float>::quiet_NaN());
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

// ------------------------------------------------------------------------------------------------ convolution

struct Conv {
    int N, C, H, W, FN, FH, FW, sh, sw, ph, pw, dh, dw, OH, OW;
    int CK() const { return C * FH * FW; }
    int P() const { return OH * OW; }
};

double conv_ref_at(const Conv& g, const std::vector<float>& x, const std::vector<float>& w, int n, int f, int oh, int ow) {
    double acc = 0;
    for (int c = 0; c < g.C; ++c) {
        for (int kh = 0; kh < g.FH; ++kh) {
            for (int kw = 0; kw < g.FW; ++kw) {
                int h = oh * g.sh - g.ph + kh * g.dh;
                int ww = ow * g.sw - g.pw + kw * g.dw;
                if (h >= 0 && h < g.H && ww >= 0 && ww < g.W) {
                    acc += (double)x[((size_t)(n * g.C + c) * g.H + h) * g.W + ww] *
                           w[((size_t)(f * g.C + c) * g.FH + kh) * g.FW + kw];
                }
            }
        }
    }
    return acc;
}

void test_convolution(Conv g, int chunk) {
    const int CK = g.CK(), P = g.P();
    const size_t CHW = (size_t)g.C * g.H * g.W;
    auto x = random_vector((size_t)g.N * CHW);
    auto w = random_vector((size_t)g.FN * CK);
    auto bias = random_vector(g.FN);
    auto dy = random_vector((size_t)g.N * g.FN * P);
    // poisoned: an entry im2col, a layout copy or the GEMM fails to write shows up as NaN
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> col((size_t)chunk * CK * P, nan);  // [CK, B*P] for a chunk of B images
    std::vector<float> chw((size_t)chunk * g.FN * P, nan); // yT or dyT [FN, B*P]
    char tag[120];
    std::snprintf(tag, sizeof tag, "conv N%d C%d %dx%d FN%d %dx%d s%dx%d p%dx%d d%dx%d chunk%d", g.N, g.C, g.H, g.W, g.FN,
                  g.FH, g.FW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, chunk);
    std::string t(tag);

    // forward, as CudaBackend: per chunk im2col, one GEMM yT = W col, then yT -> NCHW with the bias
    std::vector<float> y((size_t)g.N * g.FN * P, nan);
    for (int n0 = 0; n0 < g.N; n0 += chunk) {
        int B = std::min(chunk, g.N - n0);
        int cols = B * P;
        const float* xb = x.data() + n0 * CHW;
        launch_n((long long)B * g.C * P, [&] {
            im2col_f32(xb, col.data(), B, g.C, g.H, g.W, g.FH, g.FW, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
        });
        gemm("sgemm_tiled", 0, 0, g.FN, cols, CK, 1.0f, w.data(), CK, 0, col.data(), cols, 0, 0.0f, chw.data(), cols, 0,
             1);
        float* yb = y.data() + (size_t)n0 * g.FN * P;
        launch_n((long long)g.FN * cols, [&] { cnhw_to_nchw_f32(chw.data(), bias.data(), yb, B, g.FN, P); });
    }
    std::vector<double> want(y.size());
    for (int n = 0; n < g.N; ++n)
        for (int f = 0; f < g.FN; ++f)
            for (int oh = 0; oh < g.OH; ++oh)
                for (int ow = 0; ow < g.OW; ++ow)
                    want[((size_t)(n * g.FN + f) * g.OH + oh) * g.OW + ow] = conv_ref_at(g, x, w, n, f, oh, ow) + bias[f];
    check(t + " forward", y, want, 1e-4, 1e-4);

    // backward data: dyT, one GEMM col = W^T dyT, then col2im (gather)
    std::fill(col.begin(), col.end(), nan);
    std::fill(chw.begin(), chw.end(), nan);
    std::vector<float> dx(x.size(), nan);
    for (int n0 = 0; n0 < g.N; n0 += chunk) {
        int B = std::min(chunk, g.N - n0);
        int cols = B * P;
        const float* dyb = dy.data() + (size_t)n0 * g.FN * P;
        launch_n((long long)g.FN * cols, [&] { nchw_to_cnhw_f32(dyb, chw.data(), B, g.FN, P); });
        gemm("sgemm_tiled", 1, 0, CK, cols, g.FN, 1.0f, w.data(), CK, 0, chw.data(), cols, 0, 0.0f, col.data(), cols, 0,
             1);
        float* dxb = dx.data() + n0 * CHW;
        launch_n((long long)B * CHW, [&] {
            col2im_f32(col.data(), dxb, B, g.C, g.H, g.W, g.FH, g.FW, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
        });
    }
    std::vector<double> wantDx(x.size(), 0.0);
    std::vector<double> wantDw(w.size(), 0.0);
    for (int n = 0; n < g.N; ++n)
        for (int f = 0; f < g.FN; ++f)
            for (int oh = 0; oh < g.OH; ++oh)
                for (int ow = 0; ow < g.OW; ++ow) {
                    double d = dy[((size_t)(n * g.FN + f) * g.OH + oh) * g.OW + ow];
                    for (int c = 0; c < g.C; ++c)
                        for (int kh = 0; kh < g.FH; ++kh)
                            for (int kw = 0; kw < g.FW; ++kw) {
                                int h = oh * g.sh - g.ph + kh * g.dh;
                                int ww = ow * g.sw - g.pw + kw * g.dw;
                                if (h >= 0 && h < g.H && ww >= 0 && ww < g.W) {
                                    size_t xi = ((size_t)(n * g.C + c) * g.H + h) * g.W + ww;
                                    size_t wi = ((size_t)(f * g.C + c) * g.FH + kh) * g.FW + kw;
                                    wantDx[xi] += d * w[wi];
                                    wantDw[wi] += d * x[xi];
                                }
                            }
                }
    check(t + " backward data", dx, wantDx, 1e-4, 1e-4);

    // backward filter: dyT and the columns per chunk, then dw += dyT col^T: one GEMM with K = B*P and beta 1
    // (slices 1, what cuBLAS gets), or, as for our GEMM kernel, K cut into slices (equal ones and a shorter
    // last one) whose partial products sum_batches_accumulate adds in order
    for (int slices : {1, 3}) {
        std::fill(col.begin(), col.end(), nan);
        std::fill(chw.begin(), chw.end(), nan);
        auto dw0 = random_vector(w.size());
        auto dw = dw0;
        const int len = g.FN * CK;
        std::vector<float> partial((size_t)slices * len, nan);
        for (int n0 = 0; n0 < g.N; n0 += chunk) {
            int B = std::min(chunk, g.N - n0);
            int cols = B * P;
            const float* dyb = dy.data() + (size_t)n0 * g.FN * P;
            launch_n((long long)g.FN * cols, [&] { nchw_to_cnhw_f32(dyb, chw.data(), B, g.FN, P); });
            const float* xb = x.data() + n0 * CHW;
            launch_n((long long)B * g.C * P, [&] {
                im2col_f32(xb, col.data(), B, g.C, g.H, g.W, g.FH, g.FW, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
            });
            if (slices == 1 || cols < slices) {
                gemm("sgemm_tiled", 0, 1, g.FN, CK, cols, 1.0f, chw.data(), cols, 0, col.data(), cols, 0, 1.0f, dw.data(),
                     CK, 0, 1);
                continue;
            }
            int length = (cols + slices - 1) / slices, full = cols / length, rest = cols - full * length;
            gemm("sgemm_tiled", 0, 1, g.FN, CK, length, 1.0f, chw.data(), cols, length, col.data(), cols, length, 0.0f,
                 partial.data(), CK, len, full);
            if (rest > 0) {
                gemm("sgemm_tiled", 0, 1, g.FN, CK, rest, 1.0f, chw.data() + (size_t)full * length, cols, 0,
                     col.data() + (size_t)full * length, cols, 0, 0.0f, partial.data() + (size_t)full * len, CK, 0, 1);
            }
            int parts = full + (rest > 0 ? 1 : 0);
            launch_n(len, [&] { sum_batches_accumulate_f32(partial.data(), dw.data(), parts, len); });
        }
        std::vector<double> wantDwTotal(wantDw);
        for (size_t i = 0; i < w.size(); ++i) {
            wantDwTotal[i] += dw0[i];
        }
        check(t + " backward filter, K in " + std::to_string(slices) + " slice(s)", dw, wantDwTotal, 1e-4, 1e-4);
    }

    auto db0 = random_vector(g.FN);
    auto db = db0;
    host_launch(dim3{(unsigned)g.FN, 1, 1}, 256, [&] { bias_grad_f32(dy.data(), db.data(), g.N, g.FN, P); });
    std::vector<double> wantDb(g.FN);
    for (int f = 0; f < g.FN; ++f) {
        double s = db0[f];
        for (int n = 0; n < g.N; ++n)
            for (int p = 0; p < P; ++p) s += dy[((size_t)n * g.FN + f) * P + p];
        wantDb[f] = s;
    }
    check(t + " bias gradient", db, wantDb, 1e-4, 1e-4);
}

// ------------------------------------------------------------------------------------------------ layouts

// NCHW <-> channel-major [F, B, P], with and without the bias, against index formulas.
void test_conv_layout(int B, int F, int P) {
    auto src = random_vector((size_t)B * F * P);
    auto bias = random_vector(F);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> nchw(src.size(), nan), back(src.size(), nan);
    std::vector<double> want(src.size()), wantBias(src.size());
    for (int b = 0; b < B; ++b)
        for (int f = 0; f < F; ++f)
            for (int p = 0; p < P; ++p) {
                want[((size_t)b * F + f) * P + p] = src[((size_t)f * B + b) * P + p];
                wantBias[((size_t)b * F + f) * P + p] = src[((size_t)f * B + b) * P + p] + bias[f];
            }
    std::string t = "layout B" + std::to_string(B) + " F" + std::to_string(F) + " P" + std::to_string(P);
    long long n = (long long)src.size();
    launch_n(n, [&] { cnhw_to_nchw_f32(src.data(), nullptr, nchw.data(), B, F, P); });
    check(t + " cnhw -> nchw", nchw, want, 0, 0);
    launch_n(n, [&] { nchw_to_cnhw_f32(nchw.data(), back.data(), B, F, P); });
    check(t + " nchw -> cnhw (round trip)", back, std::vector<double>(src.begin(), src.end()), 0, 0);
    std::fill(nchw.begin(), nchw.end(), nan);
    launch_n(n, [&] { cnhw_to_nchw_f32(src.data(), bias.data(), nchw.data(), B, F, P); });
    check(t + " cnhw -> nchw + bias", nchw, wantBias, 1e-7, 1e-7);
}

// ------------------------------------------------------------------------------------------------ pooling

void test_pooling(int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph, int pw) {
    int OH = (H + 2 * ph - kh) / sh + 1, OW = (W + 2 * pw - kw) / sw + 1;
    char tag[100];
    std::snprintf(tag, sizeof tag, "pool %dx%d window %dx%d stride %dx%d pad %dx%d", H, W, kh, kw, sh, sw, ph, pw);
    std::string t(tag);
    auto x = integer_vector((size_t)N * C * H * W, 0, 3); // small integers: many ties
    size_t outs = (size_t)N * C * OH * OW;
    std::vector<float> y(outs, -7.0f);
    std::vector<int> sw_(outs, -7);
    launch_n((long long)outs, [&] {
        maxpool_forward_f32(x.data(), y.data(), sw_.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    std::vector<double> wantY(outs), wantS(outs), gotS(sw_.begin(), sw_.end());
    auto dy = random_vector(outs);
    std::vector<double> wantDx((size_t)N * C * H * W, 0.0), wantAvg(outs), wantAvgDx((size_t)N * C * H * W, 0.0);
    for (int plane = 0; plane < N * C; ++plane)
        for (int oh = 0; oh < OH; ++oh)
            for (int ow = 0; ow < OW; ++ow) {
                size_t o = ((size_t)plane * OH + oh) * OW + ow;
                double best = -1e30, sum = 0;
                int where = -1;
                for (int a = 0; a < kh; ++a)
                    for (int b = 0; b < kw; ++b) {
                        int h = oh * sh - ph + a, w = ow * sw - pw + b;
                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                        double v = x[((size_t)plane * H + h) * W + w];
                        sum += v;
                        if (where < 0 || v > best) {
                            best = v;
                            where = h * W + w;
                        }
                    }
                wantY[o] = best;
                wantS[o] = where;
                wantDx[(size_t)plane * H * W + where] += dy[o];
                wantAvg[o] = sum / (kh * kw);
                for (int a = 0; a < kh; ++a)
                    for (int b = 0; b < kw; ++b) {
                        int h = oh * sh - ph + a, w = ow * sw - pw + b;
                        if (h >= 0 && h < H && w >= 0 && w < W)
                            wantAvgDx[((size_t)plane * H + h) * W + w] += dy[o] / (kh * kw);
                    }
            }
    check(t + " max forward", y, wantY, 0, 0);
    check(t + " max switches", gotS, wantS, 0, 0);
    std::vector<float> dx((size_t)N * C * H * W, std::numeric_limits<float>::quiet_NaN());
    launch_n((long long)dx.size(), [&] {
        maxpool_backward_f32(dy.data(), sw_.data(), dx.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    check(t + " max backward", dx, wantDx, 1e-6, 1e-6);
    std::vector<float> avg(outs, std::numeric_limits<float>::quiet_NaN());
    launch_n((long long)outs, [&] {
        avgpool_forward_f32(x.data(), avg.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    check(t + " average forward", avg, wantAvg, 1e-6, 1e-6);
    std::fill(dx.begin(), dx.end(), std::numeric_limits<float>::quiet_NaN());
    launch_n((long long)dx.size(), [&] {
        avgpool_backward_f32(dy.data(), dx.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    check(t + " average backward", dx, wantAvgDx, 1e-6, 1e-5);
}

// ------------------------------------------------------------------------------------------------ element-wise

void test_activations() {
    const int n = 1000;
    auto x = random_vector(n, -4, 4);
    auto dy = random_vector(n);
    struct Case {
        const char* name;
        void (*fwd)(const float*, float*, int);
        void (*bwd)(const float*, const float*, float*, int);
        double (*f)(double);
        double (*df)(double); // from y
    };
    Case cases[] = {
        {"relu", relu_forward_f32, relu_backward_f32, [](double v) { return v > 0 ? v : 0.0; },
         [](double y) { return y > 0 ? 1.0 : 0.0; }},
        {"sigmoid", sigmoid_forward_f32, sigmoid_backward_f32, [](double v) { return 1 / (1 + std::exp(-v)); },
         [](double y) { return y * (1 - y); }},
        {"tanh", tanh_forward_f32, tanh_backward_f32, [](double v) { return std::tanh(v); },
         [](double y) { return 1 - y * y; }},
    };
    for (const Case& c : cases) {
        std::vector<float> y(n), dx(n);
        launch_n(n, [&] { c.fwd(x.data(), y.data(), n); });
        launch_n(n, [&] { c.bwd(y.data(), dy.data(), dx.data(), n); });
        std::vector<double> wy(n), wdx(n);
        for (int i = 0; i < n; ++i) {
            wy[i] = c.f(x[i]);
            wdx[i] = dy[i] * c.df(y[i]);
        }
        check(std::string(c.name) + " forward", y, wy, 1e-6, 1e-6);
        check(std::string(c.name) + " backward", dx, wdx, 1e-6, 1e-6);
        // in place, as the layers call it (y == x, dx == dy)
        auto inplace = x;
        launch_n(n, [&] { c.fwd(inplace.data(), inplace.data(), n); });
        check(std::string(c.name) + " forward in place", inplace, wy, 1e-6, 1e-6);
    }
    std::vector<float> v(777, 1.0f);
    launch_n(777, [&] { fill_f32(v.data(), 777, std::numeric_limits<float>::quiet_NaN()); });
    check("fill NaN", v, std::vector<double>(777, std::nan("")), 0, 0);
}

void test_softmax(int N, int K, bool badLabel) {
    auto logits = random_vector((size_t)N * K, -5, 5);
    std::vector<int> labels(N);
    for (int n = 0; n < N; ++n) labels[n] = (int)(rng() % K);
    if (badLabel) labels[N / 2] = K;
    std::vector<float> probs(logits.size(), std::numeric_limits<float>::quiet_NaN()), loss(1, -1.0f);
    // as CudaBackend launches it: one block per row (fewer blocks than rows here, so the block-stride loop
    // runs), then one block for the mean
    std::vector<float> rowLoss(N, std::numeric_limits<float>::quiet_NaN());
    host_launch(dim3{(unsigned)std::min(N, 7), 1, 1}, 256, [&] {
        softmax_xent_rows_f32(logits.data(), labels.data(), probs.data(), rowLoss.data(), N, K);
    });
    host_launch(dim3{1, 1, 1}, 256, [&] { mean_f32(rowLoss.data(), loss.data(), N); });
    std::vector<double> wp(logits.size()), wd(logits.size());
    double total = 0;
    for (int n = 0; n < N; ++n) {
        double m = -1e30, s = 0;
        for (int j = 0; j < K; ++j) m = std::max(m, (double)logits[(size_t)n * K + j]);
        for (int j = 0; j < K; ++j) s += std::exp(logits[(size_t)n * K + j] - m);
        for (int j = 0; j < K; ++j) wp[(size_t)n * K + j] = std::exp(logits[(size_t)n * K + j] - m) / s;
        total += labels[n] >= 0 && labels[n] < K ? -std::log(wp[(size_t)n * K + labels[n]]) : std::nan("");
    }
    std::string t = "softmax N" + std::to_string(N) + " K" + std::to_string(K) + (badLabel ? " bad label" : "");
    check(t + " probs", probs, wp, 1e-6, 1e-5);
    check(t + " loss", loss, std::vector<double>{total / N}, 1e-5, 1e-5);
    if (badLabel) return;
    std::vector<float> d(logits.size(), std::numeric_limits<float>::quiet_NaN());
    int NK = N * K;
    launch_n(NK, [&] { softmax_xent_backward_f32(probs.data(), labels.data(), d.data(), N, K); });
    for (int n = 0; n < N; ++n)
        for (int j = 0; j < K; ++j) wd[(size_t)n * K + j] = ((double)probs[(size_t)n * K + j] - (j == labels[n])) / N;
    check(t + " gradient", d, wd, 1e-7, 1e-5);

    auto ties = integer_vector((size_t)N * K, 0, 2);
    std::vector<int> arg(N, -1);
    launch_n(N, [&] { argmax_f32(ties.data(), arg.data(), N, K); });
    std::vector<double> wa(N), ga(arg.begin(), arg.end());
    for (int n = 0; n < N; ++n) {
        int best = 0;
        for (int j = 1; j < K; ++j) if (ties[(size_t)n * K + j] > ties[(size_t)n * K + best]) best = j;
        wa[n] = best;
    }
    check(t + " argmax (ties to the lowest index)", ga, wa, 0, 0);
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

// ------------------------------------------------------------------------------------------------ LRN, batch norm

void lrn_ref(const std::vector<double>& x, int N, int C, int S, int size, double alpha, double beta, double k,
             std::vector<double>& scale, std::vector<double>& y) {
    scale.assign(x.size(), 0);
    y.assign(x.size(), 0);
    for (int n = 0; n < N; ++n)
        for (int c = 0; c < C; ++c)
            for (int s = 0; s < S; ++s) {
                double sum = 0;
                for (int j = std::max(0, c - (size - 1) / 2); j <= std::min(C - 1, c + size / 2); ++j) {
                    double v = x[((size_t)n * C + j) * S + s];
                    sum += v * v;
                }
                size_t i = ((size_t)n * C + c) * S + s;
                scale[i] = k + alpha / size * sum;
                y[i] = x[i] * std::pow(scale[i], -beta);
            }
}

void test_lrn(int size) {
    const int N = 2, C = 7, S = 5;
    const float alpha = 0.5f, beta = 0.75f, k = 2.0f; // a large alpha so the cross-channel terms matter
    auto x = random_vector((size_t)N * C * S, -2, 2);
    auto dy = random_vector(x.size());
    std::vector<float> scale(x.size()), y(x.size()), dx(x.size());
    int total = (int)x.size();
    launch_n(total, [&] { lrn_forward_f32(x.data(), scale.data(), y.data(), N, C, S, size, alpha, beta, k); });
    std::vector<double> xd(x.begin(), x.end()), ws, wy;
    lrn_ref(xd, N, C, S, size, alpha, beta, k, ws, wy);
    std::string t = "lrn size " + std::to_string(size);
    check(t + " scale", scale, ws, 1e-6, 1e-6);
    check(t + " forward", y, wy, 1e-6, 1e-5);
    launch_n(total, [&] {
        lrn_backward_f32(x.data(), y.data(), scale.data(), dy.data(), dx.data(), N, C, S, size, alpha, beta);
    });
    std::vector<double> numeric(x.size());
    for (size_t i = 0; i < x.size(); ++i) { // d/dx_i of sum(dy * y), central differences in double
        const double h = 1e-5;
        std::vector<double> xp = xd, xm = xd, s1, yp, ym;
        xp[i] += h;
        xm[i] -= h;
        lrn_ref(xp, N, C, S, size, alpha, beta, k, s1, yp);
        lrn_ref(xm, N, C, S, size, alpha, beta, k, s1, ym);
        double g = 0;
        for (size_t j = 0; j < x.size(); ++j) g += dy[j] * (yp[j] - ym[j]) / (2 * h);
        numeric[i] = g;
    }
    check(t + " backward vs numerical gradient", dx, numeric, 1e-4, 1e-3);
}

void bn_ref(const std::vector<double>& x, int N, int C, int S, const std::vector<float>& gamma,
            const std::vector<float>& beta, double eps, std::vector<double>& y, std::vector<double>& mean,
            std::vector<double>& var) {
    y.assign(x.size(), 0);
    mean.assign(C, 0);
    var.assign(C, 0);
    double m = (double)N * S;
    for (int c = 0; c < C; ++c) {
        for (int n = 0; n < N; ++n) for (int s = 0; s < S; ++s) mean[c] += x[((size_t)n * C + c) * S + s];
        mean[c] /= m;
        for (int n = 0; n < N; ++n) for (int s = 0; s < S; ++s) {
            double d = x[((size_t)n * C + c) * S + s] - mean[c];
            var[c] += d * d;
        }
        var[c] /= m;
        for (int n = 0; n < N; ++n) for (int s = 0; s < S; ++s) {
            size_t i = ((size_t)n * C + c) * S + s;
            y[i] = gamma[c] * (x[i] - mean[c]) / std::sqrt(var[c] + eps) + beta[c];
        }
    }
}

void test_batchnorm(int N, int C, int S) {
    const float momentum = 0.1f, eps = 1e-5f;
    auto x = random_vector((size_t)N * C * S, -1, 3);
    auto gamma = random_vector(C, 0.5f, 1.5f);
    auto beta = random_vector(C);
    auto rm0 = random_vector(C), rv0 = random_vector(C, 0.5f, 1.5f);
    auto rm = rm0, rv = rv0;
    std::vector<float> y(x.size()), sm(C), si(C);
    std::string t = "batch norm [" + std::to_string(N) + "," + std::to_string(C) + "," + std::to_string(S) + "]";
    host_launch(dim3{(unsigned)C, 1, 1}, 256, [&] {
        batchnorm_forward_training_f32(x.data(), gamma.data(), beta.data(), y.data(), rm.data(), rv.data(), sm.data(),
                                       si.data(), N, C, S, momentum, eps);
    });
    std::vector<double> xd(x.begin(), x.end()), wy, mean, var;
    bn_ref(xd, N, C, S, gamma, beta, eps, wy, mean, var);
    double m = (double)N * S;
    std::vector<double> wrm(C), wrv(C), winv(C);
    for (int c = 0; c < C; ++c) {
        wrm[c] = (1 - momentum) * rm0[c] + momentum * mean[c];
        wrv[c] = (1 - momentum) * rv0[c] + momentum * var[c] * (m > 1 ? m / (m - 1) : 1.0);
        winv[c] = 1 / std::sqrt(var[c] + eps);
    }
    check(t + " training forward", y, wy, 1e-5, 1e-4);
    check(t + " saved mean", sm, mean, 1e-6, 1e-5);
    check(t + " saved 1/std", si, winv, 1e-5, 1e-4);
    check(t + " running mean", rm, wrm, 1e-6, 1e-5);
    check(t + " running variance (unbiased)", rv, wrv, 1e-6, 1e-5);

    std::vector<float> yi(x.size());
    int total = (int)x.size();
    launch_n(total, [&] {
        batchnorm_forward_inference_f32(x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), yi.data(), N, C, S,
                                        eps);
    });
    std::vector<double> wyi(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        int c = (int)((i / S) % C);
        wyi[i] = gamma[c] * (x[i] - (double)rm[c]) / std::sqrt((double)rv[c] + eps) + beta[c];
    }
    check(t + " inference forward", yi, wyi, 1e-5, 1e-5);

    auto dy = random_vector(x.size());
    std::vector<float> dx(x.size()), dg(C, 0.5f), db(C, -0.5f);
    host_launch(dim3{(unsigned)C, 1, 1}, 256, [&] {
        batchnorm_backward_f32(x.data(), dy.data(), gamma.data(), sm.data(), si.data(), dx.data(), dg.data(),
                               db.data(), N, C, S);
    });
    std::vector<double> numeric(x.size()), wdg(C, 0.5), wdb(C, -0.5);
    for (size_t i = 0; i < x.size(); ++i) {
        const double h = 1e-4;
        std::vector<double> xp = xd, xm = xd, yp, ym, a, b;
        xp[i] += h;
        xm[i] -= h;
        bn_ref(xp, N, C, S, gamma, beta, eps, yp, a, b);
        bn_ref(xm, N, C, S, gamma, beta, eps, ym, a, b);
        double g = 0;
        for (size_t j = 0; j < x.size(); ++j) g += dy[j] * (yp[j] - ym[j]) / (2 * h);
        numeric[i] = g;
        int c = (int)((i / S) % C);
        wdb[c] += dy[i];
        wdg[c] += dy[i] * (xd[i] - mean[c]) / std::sqrt(var[c] + eps);
    }
    check(t + " backward dx vs numerical gradient", dx, numeric, 1e-3, 1e-3);
    check(t + " dgamma (accumulating)", dg, wdg, 1e-4, 1e-4);
    check(t + " dbeta (accumulating)", db, wdb, 1e-4, 1e-4);
}

// ------------------------------------------------------------------------------------------------ optimizers

void test_optimizers() {
    const int n = 1000;
    const float lr = 0.01f, wd = 1e-3f, mom = 0.9f, eps = 1e-8f, decay = 0.9f, b1 = 0.9f, b2 = 0.999f;
    auto p0 = random_vector(n);
    std::vector<std::vector<float>> grads{random_vector(n), random_vector(n), random_vector(n)};
    // SGD
    {
        auto p = p0;
        std::vector<double> w(p0.begin(), p0.end());
        for (auto& g : grads) {
            launch_n(n, [&] { sgd_update_f32(p.data(), g.data(), n, lr, wd); });
            for (int i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
        }
        check("sgd, 3 steps", p, w, 1e-6, 1e-5);
    }
    for (int nesterov = 0; nesterov < 2; ++nesterov) {
        auto p = p0;
        std::vector<float> v(n, 0.0f);
        std::vector<double> w(p0.begin(), p0.end()), wv(n, 0.0);
        for (auto& g : grads) {
            launch_n(n, [&] { momentum_update_f32(p.data(), g.data(), v.data(), n, lr, mom, wd, nesterov); });
            for (int i = 0; i < n; ++i) {
                double gi = g[i] + wd * w[i];
                wv[i] = mom * wv[i] + gi;
                w[i] -= lr * (nesterov ? gi + mom * wv[i] : wv[i]);
            }
        }
        check(nesterov ? "nesterov momentum, 3 steps" : "momentum, 3 steps", p, w, 1e-6, 1e-5);
    }
    {
        auto p = p0;
        std::vector<float> s(n, 0.0f);
        std::vector<double> w(p0.begin(), p0.end()), ws(n, 0.0);
        for (auto& g : grads) {
            launch_n(n, [&] { adagrad_update_f32(p.data(), g.data(), s.data(), n, lr, eps, wd); });
            for (int i = 0; i < n; ++i) {
                double gi = g[i] + wd * w[i];
                ws[i] += gi * gi;
                w[i] -= lr * gi / (std::sqrt(ws[i]) + eps);
            }
        }
        check("adagrad, 3 steps", p, w, 1e-6, 1e-5);
    }
    {
        auto p = p0;
        std::vector<float> ms(n, 0.0f);
        std::vector<double> w(p0.begin(), p0.end()), wms(n, 0.0);
        for (auto& g : grads) {
            launch_n(n, [&] { rmsprop_update_f32(p.data(), g.data(), ms.data(), n, lr, decay, eps, wd); });
            for (int i = 0; i < n; ++i) {
                double gi = g[i] + wd * w[i];
                wms[i] = decay * wms[i] + (1 - decay) * gi * gi;
                w[i] -= lr * gi / (std::sqrt(wms[i]) + eps);
            }
        }
        check("rmsprop, 3 steps", p, w, 1e-5, 1e-4);
    }
    {
        auto p = p0;
        std::vector<float> m(n, 0.0f), v(n, 0.0f);
        std::vector<double> w(p0.begin(), p0.end()), wm(n, 0.0), wv(n, 0.0);
        int step = 0;
        for (auto& g : grads) {
            ++step;
            float c1 = (float)(1 - std::pow(b1, step)), c2 = (float)(1 - std::pow(b2, step));
            launch_n(n, [&] { adam_update_f32(p.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, wd, c1, c2); });
            for (int i = 0; i < n; ++i) {
                double gi = g[i] + wd * w[i];
                wm[i] = b1 * wm[i] + (1 - b1) * gi;
                wv[i] = b2 * wv[i] + (1 - b2) * gi * gi;
                w[i] -= lr * (wm[i] / (1 - std::pow((double)b1, step))) /
                        (std::sqrt(wv[i] / (1 - std::pow((double)b2, step))) + eps);
            }
        }
        check("adam, 3 steps", p, w, 1e-5, 1e-4);
    }
}

int print_dropout_mask(unsigned long long seed, float p, int n) {
    std::vector<float> x(n, 1.0f), mask(n), y(n);
    float scale = 1.0f / (1.0f - p);
    launch_n(n, [&] { dropout_forward_f32(x.data(), mask.data(), y.data(), n, seed, p, scale); });
    for (int i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &mask[i], 4);
        std::printf("%08" PRIx32 "\n", bits);
        if (y[i] != mask[i]) {
            std::fprintf(stderr, "y != x * mask at %d\n", i);
            return 1;
        }
    }
    std::vector<float> dx(n);
    launch_n(n, [&] { dropout_backward_f32(y.data(), mask.data(), dx.data(), n); });
    for (int i = 0; i < n; ++i) {
        if (dx[i] != y[i] * mask[i]) {
            std::fprintf(stderr, "dropout backward wrong at %d\n", i);
            return 1;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::string(argv[1]) == "dropout") {
        return print_dropout_mask(std::strtoull(argv[2], nullptr, 10), std::strtof(argv[3], nullptr),
                                  std::atoi(argv[4]));
    }
    test_gemm(67, 45, 33, 3);   // edges inside one tile
    test_gemm(300, 260, 37, 2); // several tiles both ways, K not a multiple of the k step
    // stride 2x1, pad 1x1, dilation 1x2, OH = (7+2-2-1)/2+1 = 4 (FLOOR: 7+2-3 = 6 is even, exact), OW = 6
    test_convolution(Conv{3, 2, 7, 6, 4, 3, 2, 2, 1, 1, 1, 1, 2, 4, 6}, 2);
    // LeNet conv1 shape on 5 images in one chunk: 1x28x28, 20 filters 5x5, OH = OW = 24 (P = 576 > 64 tiles)
    test_convolution(Conv{5, 1, 28, 28, 20, 5, 5, 1, 1, 0, 0, 1, 1, 24, 24}, 5);
    // 70 filters (two GEMM row tiles), 3x3 stride 2 pad 1 over 9x9 -> 5x5, chunk 1
    test_convolution(Conv{2, 3, 9, 9, 70, 3, 3, 2, 2, 1, 1, 1, 1, 5, 5}, 1);
    // AlexNet conv1's kind: 11x11 stride 4 pad 2 over 23x23 -> 5x5 (windows overlap, taps skip rows)
    test_convolution(Conv{3, 3, 23, 23, 8, 11, 11, 4, 4, 2, 2, 1, 1, 5, 5}, 2);
    // dilation 2 and 3 with stride 1 and padding: 3x2 taps over 10x9, OH = (10+2-4-1)/1+1 = 8, OW = (9+0-3-1)+1 = 6
    test_convolution(Conv{2, 2, 10, 9, 5, 3, 2, 1, 1, 1, 0, 2, 3, 8, 6}, 2);
    // stride larger than the window: 2x2 taps, stride 3, input rows and columns that no tap reads
    test_convolution(Conv{2, 2, 11, 11, 3, 2, 2, 3, 3, 0, 0, 1, 1, 4, 4}, 1);
    test_conv_layout(3, 5, 7);
    test_conv_layout(1, 4, 1);
    test_pooling(2, 3, 7, 7, 3, 3, 2, 2, 1, 1);   // AlexNet-style overlapping windows, with padding
    test_pooling(2, 2, 8, 8, 2, 2, 2, 2, 0, 0);   // LeNet 2x2/2
    test_pooling(1, 2, 8, 9, 3, 2, 2, 3, 0, 1);   // floor rounding, non-square
    test_pooling(2, 2, 9, 11, 1, 2, 3, 3, 0, 1);  // stride > window: positions in no window get dx = 0
    test_pooling(1, 3, 13, 13, 3, 3, 2, 2, 0, 0); // AlexNet pool5 planes, odd size, floor rounding
    test_activations();
    test_softmax(37, 11, false);
    test_softmax(300, 10, false); // more rows than threads
    test_softmax(20, 5, true);
    test_softmax(9, 1000, false); // more columns than threads (ImageNet's 1000 classes)
    test_softmax(3, 1, false);    // one class: p = 1, loss 0
    test_bias();
    test_lrn(5);
    test_lrn(4);
    test_batchnorm(4, 3, 70);
    test_batchnorm(300, 2, 1);
    test_optimizers();
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
