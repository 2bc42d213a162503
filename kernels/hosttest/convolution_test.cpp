// convolution_test.cpp: kernels/convolution.cu as CudaBackend runs a convolution (chunks of images, im2col, one
// GEMM per chunk with our sgemm_tiled, the NCHW <-> channel-major copies, col2im; the filter gradient in one GEMM
// or in K slices summed by sum_batches_accumulate_f32) against a direct double-precision convolution.
#include "harness.h"

namespace convolution_test {

using namespace hosttest;

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
    std::vector<float> col((size_t)chunk * CK * P, kNaN);  // [CK, B*P] for a chunk of B images
    std::vector<float> chw((size_t)chunk * g.FN * P, kNaN); // yT or dyT [FN, B*P]
    char tag[120];
    std::snprintf(tag, sizeof tag, "conv N%d C%d %dx%d FN%d %dx%d s%dx%d p%dx%d d%dx%d chunk%d", g.N, g.C, g.H, g.W, g.FN,
                  g.FH, g.FW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, chunk);
    std::string t(tag);

    // forward, as CudaBackend: per chunk im2col, one GEMM yT = W col, then yT -> NCHW with the bias
    std::vector<float> y((size_t)g.N * g.FN * P, kNaN);
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
    std::fill(col.begin(), col.end(), kNaN);
    std::fill(chw.begin(), chw.end(), kNaN);
    std::vector<float> dx(x.size(), kNaN);
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
        std::fill(col.begin(), col.end(), kNaN);
        std::fill(chw.begin(), chw.end(), kNaN);
        auto dw0 = random_vector(w.size());
        auto dw = dw0;
        const int len = g.FN * CK;
        std::vector<float> partial((size_t)slices * len, kNaN);
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


// NCHW <-> channel-major [F, B, P], with and without the bias, against index formulas.
void test_conv_layout(int B, int F, int P) {
    auto src = random_vector((size_t)B * F * P);
    auto bias = random_vector(F);
    std::vector<float> nchw(src.size(), kNaN), back(src.size(), kNaN);
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
    std::fill(nchw.begin(), nchw.end(), kNaN);
    launch_n(n, [&] { cnhw_to_nchw_f32(src.data(), bias.data(), nchw.data(), B, F, P); });
    check(t + " cnhw -> nchw + bias", nchw, wantBias, 1e-7, 1e-7);
}

HOSTTEST_FAMILY(convolution) {
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
}

} // namespace convolution_test
