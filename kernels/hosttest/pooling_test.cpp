// pooling_test.cpp: kernels/pooling.cu, max (values, switches, routed gradient) and average pooling, forward
// and backward, against a direct double-precision reference, on inputs with many ties and with NaN.
#include "harness.h"

namespace pooling_test {

using namespace hosttest;

// Max and average pooling of small whole numbers (many ties), a fraction nanFraction of them NaN. The max
// reference: in row-major window order the first maximum wins, and the first NaN wins over every number and
// every later NaN (PyTorch's rule).
void test_pooling(int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph, int pw, double nanFraction = 0) {
    int OH = (H + 2 * ph - kh) / sh + 1, OW = (W + 2 * pw - kw) / sw + 1;
    char tag[120];
    std::snprintf(tag, sizeof tag, "pool %dx%d window %dx%d stride %dx%d pad %dx%d%s", H, W, kh, kw, sh, sw, ph, pw,
                  nanFraction > 0 ? " with NaN input" : "");
    std::string t(tag);
    auto x = integer_vector((size_t)N * C * H * W, 0, 3);
    if (nanFraction > 0) {
        std::bernoulli_distribution isNan(nanFraction);
        for (auto& v : x) {
            v = isNan(rng) ? kNaN : v;
        }
    }
    size_t outs = (size_t)N * C * OH * OW;
    std::vector<float> y(outs, -7.0f);
    std::vector<int> sw_(outs, -7);
    launch_n((long long)outs, [&] {
        maxpool_forward_f32(x.data(), y.data(), sw_.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    std::vector<double> wantY(outs), wantS(outs), gotS(sw_.begin(), sw_.end());
    auto dy = random_vector(outs);
    std::vector<double> wantDx((size_t)N * C * H * W, 0.0), wantAvg(outs), wantAvgDx((size_t)N * C * H * W, 0.0);
    int nanWindows = 0, windowsWithSeveralNaN = 0;
    for (int plane = 0; plane < N * C; ++plane)
        for (int oh = 0; oh < OH; ++oh)
            for (int ow = 0; ow < OW; ++ow) {
                size_t o = ((size_t)plane * OH + oh) * OW + ow;
                double best = 0, sum = 0;
                int where = -1, nans = 0;
                for (int a = 0; a < kh; ++a)
                    for (int b = 0; b < kw; ++b) {
                        int h = oh * sh - ph + a, w = ow * sw - pw + b;
                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                        double v = x[((size_t)plane * H + h) * W + w];
                        sum += v;
                        nans += std::isnan(v);
                        if (where < 0 || (!std::isnan(best) && (std::isnan(v) || v > best))) {
                            best = v;
                            where = h * W + w;
                        }
                    }
                nanWindows += nans > 0;
                windowsWithSeveralNaN += nans > 1;
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
    if (nanFraction > 0) {
        expect(nanWindows > 0 && nanWindows < (int)outs && windowsWithSeveralNaN > 0,
               t + ": " + std::to_string(nanWindows) + " of " + std::to_string(outs) + " windows hold NaN, " +
                   std::to_string(windowsWithSeveralNaN) + " of them more than one");
    }
    check(t + " max forward", y, wantY, 0, 0);
    check(t + " max switches", gotS, wantS, 0, 0);
    std::vector<float> dx((size_t)N * C * H * W, kNaN);
    launch_n((long long)dx.size(), [&] {
        maxpool_backward_f32(dy.data(), sw_.data(), dx.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    check(t + " max backward", dx, wantDx, 1e-6, 1e-6);
    // bit for bit: the float sums in the order of the kernel's general loop (windows row-major), which the
    // unrolled path (at most 2 candidate windows per axis) must keep
    std::vector<float> inOrder(dx.size(), 0.0f);
    for (int plane = 0; plane < N * C; ++plane)
        for (int o = 0; o < OH * OW; ++o)
            inOrder[(size_t)plane * H * W + sw_[(size_t)plane * OH * OW + o]] += dy[(size_t)plane * OH * OW + o];
    check(t + std::string(kh <= 2 * sh && kw <= 2 * sw ? " (unrolled)" : " (general loop)") +
              " max backward, bits of the in-order float sum",
          dx, std::vector<double>(inOrder.begin(), inOrder.end()), 0, 0);
    std::vector<float> avg(outs, kNaN);
    launch_n((long long)outs, [&] {
        avgpool_forward_f32(x.data(), avg.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    check(t + " average forward", avg, wantAvg, 1e-6, 1e-6);
    std::fill(dx.begin(), dx.end(), kNaN);
    launch_n((long long)dx.size(), [&] {
        avgpool_backward_f32(dy.data(), dx.data(), N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw);
    });
    check(t + " average backward", dx, wantAvgDx, 1e-6, 1e-5);
}

// Global average pooling of N*C planes of H*W values (NaN in one plane: its mean is NaN), and its backward.
void test_global_average(int N, int C, int H, int W) {
    std::string t = "global average pool " + std::to_string(N) + "x" + std::to_string(C) + " planes of " +
                    std::to_string(H) + "x" + std::to_string(W);
    int planes = N * C, inner = H * W;
    auto x = random_vector((size_t)planes * inner);
    x[(size_t)inner + 3] = kNaN;
    std::vector<float> y(planes, -7.0f);
    launch_n(planes, [&] { global_avgpool_forward_f32(x.data(), y.data(), planes, inner); });
    std::vector<double> want(planes, 0.0);
    for (int p = 0; p < planes; ++p) {
        for (int j = 0; j < inner; ++j) want[p] += x[(size_t)p * inner + j];
        want[p] /= inner;
    }
    check(t + " forward", y, want, 1e-6, 1e-5);
    auto dy = random_vector(planes);
    std::vector<float> dx((size_t)planes * inner, kNaN);
    std::vector<double> wantDx(dx.size());
    for (size_t i = 0; i < dx.size(); ++i) wantDx[i] = (double)dy[i / inner] / inner;
    launch_n((long long)dx.size(), [&] { global_avgpool_backward_f32(dy.data(), dx.data(), planes, inner); });
    check(t + " backward", dx, wantDx, 1e-7, 1e-6);
}

HOSTTEST_FAMILY(pooling) {
    test_pooling(2, 3, 7, 7, 3, 3, 2, 2, 1, 1);   // AlexNet-style overlapping windows, with padding
    test_pooling(2, 2, 8, 8, 2, 2, 2, 2, 0, 0);   // LeNet 2x2/2
    test_pooling(1, 2, 8, 9, 3, 2, 2, 3, 0, 1);   // floor rounding, non-square
    test_pooling(2, 2, 9, 11, 1, 2, 3, 3, 0, 1);  // stride > window: positions in no window get dx = 0
    test_pooling(1, 3, 13, 13, 3, 3, 2, 2, 0, 0); // AlexNet pool5 planes, odd size, floor rounding
    test_pooling(2, 2, 9, 8, 3, 3, 1, 1, 1, 1);   // 3 candidate windows per axis: the general loop
    test_pooling(1, 2, 13, 12, 5, 3, 2, 1, 2, 1); // 3 candidates down, 3 across: the general loop
    test_pooling(2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 0.15);   // NaN: overlapping windows, some with two NaN
    test_pooling(1, 2, 8, 9, 3, 2, 2, 3, 0, 1, 0.1);    // NaN at the edges of padded windows too
    test_global_average(2, 5, 7, 7);   // ResNet's last 7x7 planes
    test_global_average(3, 101, 1, 3); // more planes than a block, tiny planes
}

} // namespace pooling_test
