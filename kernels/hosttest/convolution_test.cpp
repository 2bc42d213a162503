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

// A layout copy as Im2colGemm launches it: grid (ceil(P/256) capped, planes capped at 65535), 256 threads.
void layout_launch(int planes, int P, const std::function<void()>& body) {
    host_launch(dim3{grid_for(P), (unsigned)std::min(planes, 65535), 1}, CN4J_BLOCK, body);
}

// The filter gradient of one chunk as Im2colGemm computes it: one GEMM with K = cols and beta 1 (slices 1),
// or K cut into slices (equal ones and a shorter last one) whose partial products sum_batches_accumulate adds
// in order.
void filter_gradient(int FN, int CK, int cols, int ld, int slices, const float* dyT, const float* col,
                     std::vector<float>& partial, float* dw) {
    if (slices <= 1 || cols < slices) {
        gemm("sgemm_tiled", 0, 1, FN, CK, cols, 1.0f, dyT, ld, 0, col, ld, 0, 1.0f, dw, CK, 0, 1);
        return;
    }
    const int len = FN * CK;
    int length = (cols + slices - 1) / slices, full = cols / length, rest = cols - full * length;
    gemm("sgemm_tiled", 0, 1, FN, CK, length, 1.0f, dyT, ld, length, col, ld, length, 0.0f, partial.data(), CK, len,
         full);
    if (rest > 0) {
        gemm("sgemm_tiled", 0, 1, FN, CK, rest, 1.0f, dyT + (size_t)full * length, ld, 0, col + (size_t)full * length,
             ld, 0, 0.0f, partial.data() + (size_t)full * len, CK, 0, 1);
    }
    int parts = full + (rest > 0 ? 1 : 0);
    launch_n(len, [&] { sum_batches_accumulate_f32(partial.data(), dw, parts, len); });
}

// The bias gradient of one chunk in two stages: row sums of dyT [FN, cols] in slices of L columns, then their
// in-order sum added to db. gridY: block rows of the first stage (Im2colGemm: min(FN, 65535)).
void bias_gradient(int FN, int cols, int ld, int L, const float* dyT, float* db, int gridY = 65535) {
    int slices = (cols + L - 1) / L;
    std::vector<float> parts((size_t)slices * FN, kNaN);
    host_launch(dim3{(unsigned)slices, (unsigned)std::min(FN, gridY), 1}, CN4J_BLOCK,
                [&] { row_sum_slices_f32(dyT, parts.data(), FN, cols, ld, L); });
    launch_n(FN, [&] { sum_batches_accumulate_f32(parts.data(), db, slices, FN); });
}

// A convolution as Im2colGemm runs it, chunk images at a time (the last chunk may be smaller), the column and
// channel-major matrices with row stride ld = chunk*P rounded up to 32 floats (the padding poisoned with NaN:
// never read), against a direct double-precision convolution: forward, then both backward passes over one
// copy of each chunk's dy (filter gradient with K in 1 and in 3 slices, bias in slices of biasSlice columns,
// then the data gradient from the same dyT).
void test_convolution(Conv g, int chunk, int biasSlice = 4096) {
    const int CK = g.CK(), P = g.P();
    const int ld = (chunk * P + 31) / 32 * 32;
    const size_t CHW = (size_t)g.C * g.H * g.W;
    auto x = random_vector((size_t)g.N * CHW);
    auto w = random_vector((size_t)g.FN * CK);
    auto bias = random_vector(g.FN);
    auto dy = random_vector((size_t)g.N * g.FN * P);
    // poisoned: an entry im2col, a layout copy or the GEMM fails to write shows up as NaN
    std::vector<float> col((size_t)CK * ld, kNaN);  // [CK, B*P] for a chunk of B images, row stride ld
    std::vector<float> chw((size_t)g.FN * ld, kNaN); // yT or dyT [FN, B*P], row stride ld
    char tag[140];
    std::snprintf(tag, sizeof tag, "conv N%d C%d %dx%d FN%d %dx%d s%dx%d p%dx%d d%dx%d chunk%d ld%d", g.N, g.C, g.H,
                  g.W, g.FN, g.FH, g.FW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, chunk, ld);
    std::string t(tag);

    // forward: per chunk im2col, one GEMM yT = W col, then yT -> NCHW with the bias
    std::vector<float> y((size_t)g.N * g.FN * P, kNaN);
    for (int n0 = 0; n0 < g.N; n0 += chunk) {
        int B = std::min(chunk, g.N - n0);
        int cols = B * P;
        const float* xb = x.data() + n0 * CHW;
        launch_n((long long)B * g.C * P, [&] {
            im2col_f32(xb, col.data(), B, g.C, g.H, g.W, g.FH, g.FW, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, ld);
        });
        gemm("sgemm_tiled", 0, 0, g.FN, cols, CK, 1.0f, w.data(), CK, 0, col.data(), ld, 0, 0.0f, chw.data(), ld, 0, 1);
        float* yb = y.data() + (size_t)n0 * g.FN * P;
        layout_launch(B * g.FN, P, [&] { cnhw_to_nchw_f32(chw.data(), bias.data(), yb, B, g.FN, P, ld); });
    }
    std::vector<double> want(y.size());
    for (int n = 0; n < g.N; ++n)
        for (int f = 0; f < g.FN; ++f)
            for (int oh = 0; oh < g.OH; ++oh)
                for (int ow = 0; ow < g.OW; ++ow)
                    want[((size_t)(n * g.FN + f) * g.OH + oh) * g.OW + ow] = conv_ref_at(g, x, w, n, f, oh, ow) + bias[f];
    check(t + " forward", y, want, 1e-4, 1e-4);

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

    // backward, per chunk: dy -> dyT once; im2col, the filter gradient and the bias gradient from it; then
    // col = W^T dyT (overwriting the columns) and col2im for dx
    for (int slices : {1, 3}) {
        std::fill(col.begin(), col.end(), kNaN);
        std::fill(chw.begin(), chw.end(), kNaN);
        auto dw0 = random_vector(w.size());
        auto dw = dw0;
        auto db0 = random_vector(g.FN);
        auto db = db0;
        std::vector<float> dx(x.size(), kNaN);
        std::vector<float> partial((size_t)slices * g.FN * CK, kNaN);
        for (int n0 = 0; n0 < g.N; n0 += chunk) {
            int B = std::min(chunk, g.N - n0);
            int cols = B * P;
            const float* dyb = dy.data() + (size_t)n0 * g.FN * P;
            layout_launch(g.FN * B, P, [&] { nchw_to_cnhw_f32(dyb, chw.data(), B, g.FN, P, ld); });
            const float* xb = x.data() + n0 * CHW;
            launch_n((long long)B * g.C * P, [&] {
                im2col_f32(xb, col.data(), B, g.C, g.H, g.W, g.FH, g.FW, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw,
                           ld);
            });
            filter_gradient(g.FN, CK, cols, ld, slices, chw.data(), col.data(), partial, dw.data());
            bias_gradient(g.FN, cols, ld, biasSlice, chw.data(), db.data());
            gemm("sgemm_tiled", 1, 0, CK, cols, g.FN, 1.0f, w.data(), CK, 0, chw.data(), ld, 0, 0.0f, col.data(), ld, 0,
                 1);
            float* dxb = dx.data() + n0 * CHW;
            launch_n((long long)B * CHW, [&] {
                col2im_f32(col.data(), dxb, B, g.C, g.H, g.W, g.FH, g.FW, g.OH, g.OW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw,
                           ld);
            });
        }
        std::vector<double> wantDwTotal(wantDw);
        for (size_t i = 0; i < w.size(); ++i) {
            wantDwTotal[i] += dw0[i];
        }
        std::string s = ", K in " + std::to_string(slices) + " slice(s)";
        check(t + " backward filter" + s, dw, wantDwTotal, 1e-4, 1e-4);
        check(t + " backward data" + s, dx, wantDx, 1e-4, 1e-4);
        std::vector<double> wantDb(g.FN);
        for (int f = 0; f < g.FN; ++f) {
            double sum = db0[f];
            for (int n = 0; n < g.N; ++n)
                for (int p = 0; p < P; ++p) sum += dy[((size_t)n * g.FN + f) * P + p];
            wantDb[f] = sum;
        }
        check(t + " bias gradient, slices of " + std::to_string(biasSlice) + " columns" + s, db, wantDb, 1e-4, 1e-4);
    }
}

// The bias gradient's two stages against the one-block-per-channel kernel they replace: a fixed order each,
// so each is deterministic; they agree to float rounding. gridY below F: block rows take several channels, as
// for more than 65535 channels.
void test_bias_stages(int N, int F, int P, int L, int gridY) {
    auto dy = random_vector((size_t)N * F * P);
    std::vector<float> dyT((size_t)F * N * P, kNaN);
    layout_launch(F * N, P, [&] { nchw_to_cnhw_f32(dy.data(), dyT.data(), N, F, P, N * P); });
    std::vector<float> staged(F, 0.0f), staged2(F, 0.0f), single(F, 0.0f);
    bias_gradient(F, N * P, N * P, L, dyT.data(), staged.data(), gridY);
    bias_gradient(F, N * P, N * P, L, dyT.data(), staged2.data());
    host_launch(dim3{(unsigned)F, 1, 1}, CN4J_BLOCK, [&] { bias_grad_f32(dy.data(), single.data(), N, F, P); });
    std::string t = "bias stages N" + std::to_string(N) + " F" + std::to_string(F) + " P" + std::to_string(P) +
                    " L" + std::to_string(L) + " grid y " + std::to_string(gridY);
    check(t + ": two runs (grid y " + std::to_string(std::min(F, 65535)) + " and " + std::to_string(gridY) +
              "), same bits", staged, std::vector<double>(staged2.begin(), staged2.end()), 0, 0);
    check(t + ": against bias_grad_f32", staged, std::vector<double>(single.begin(), single.end()), 1e-4, 1e-5);
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
    layout_launch(B * F, P, [&] { cnhw_to_nchw_f32(src.data(), nullptr, nchw.data(), B, F, P, B * P); });
    check(t + " cnhw -> nchw", nchw, want, 0, 0);
    layout_launch(B * F, P, [&] { nchw_to_cnhw_f32(nchw.data(), back.data(), B, F, P, B * P); });
    check(t + " nchw -> cnhw (round trip)", back, std::vector<double>(src.begin(), src.end()), 0, 0);
    std::fill(nchw.begin(), nchw.end(), kNaN);
    layout_launch(B * F, P, [&] { cnhw_to_nchw_f32(src.data(), bias.data(), nchw.data(), B, F, P, B * P); });
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
    // the last chunk smaller (5 = 2 + 2 + 1), bias slices of 7 columns (several per chunk, a short last one)
    test_convolution(Conv{5, 2, 6, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1, 6, 7}, 2, 7);
    test_conv_layout(3, 5, 7);
    test_conv_layout(1, 4, 1);
    test_bias_stages(3, 5, 700, 256, 2);
    test_bias_stages(2, 9, 3025, 4096, 9);
}

} // namespace convolution_test
