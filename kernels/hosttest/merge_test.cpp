// merge_test.cpp: kernels/merge.cu, the residual sum (also in place) and the strided channel copy, forward as a
// concatenation of branches into one tensor and backward as the split of its gradient, against direct references.
#include "harness.h"

namespace merge_test {

using namespace hosttest;

void test_add(int n) {
    auto a = random_vector(n), b = random_vector(n);
    a[n / 2] = kNaN;
    std::vector<double> want(n);
    for (int i = 0; i < n; ++i) want[i] = (double)a[i] + b[i]; // the float sum is exact in double: one rounding
    std::vector<float> y(n, -7.0f);
    launch_n(n, [&] { add_f32(a.data(), b.data(), y.data(), n); });
    check("add " + std::to_string(n) + " values", y, want, 1e-7, 1e-7);
    launch_n(n, [&] { add_f32(a.data(), b.data(), a.data(), n); }); // y may be a
    check("add " + std::to_string(n) + " values in place", a, want, 1e-7, 1e-7);
}

// Branches of `widths` channels (N items, inner values per channel) concatenated into dst at their offsets, then
// dst's gradient split back: every value lands where the NCHW layout says, and nothing else is written.
void test_concat(int N, std::vector<int> widths, int inner) {
    int total = 0;
    for (int w : widths) total += w;
    std::string t = "concat of " + std::to_string(widths.size()) + " branches into " + std::to_string(total) +
                    " channels of " + std::to_string(inner);
    std::vector<float> dst((size_t)N * total * inner, kNaN);
    std::vector<double> want(dst.size(), std::nan(""));
    std::vector<std::vector<float>> branches;
    int offset = 0;
    for (int w : widths) {
        branches.push_back(random_vector((size_t)N * w * inner));
        const auto& b = branches.back();
        for (int i = 0; i < N; ++i)
            for (int k = 0; k < w * inner; ++k) want[((size_t)i * total + offset) * inner + k] = b[(size_t)i * w * inner + k];
        launch_n((long long)N * w * inner, [&] {
            copy_channels_f32(b.data(), dst.data(), N, w, total, inner, 0, offset, w);
        });
        offset += w;
    }
    check(t + " forward", dst, want, 0, 0);
    offset = 0;
    for (size_t br = 0; br < widths.size(); ++br) {
        int w = widths[br];
        std::vector<float> back((size_t)N * w * inner, kNaN);
        launch_n((long long)N * w * inner, [&] {
            copy_channels_f32(dst.data(), back.data(), N, total, w, inner, offset, 0, w);
        });
        check(t + " backward split, branch " + std::to_string(br), back,
              std::vector<double>(branches[br].begin(), branches[br].end()), 0, 0);
        offset += w;
    }
}

HOSTTEST_FAMILY(merge) {
    test_add(1000);
    test_add(256 * 3 + 1); // one thread of the last block
    test_concat(2, {3, 5, 1}, 7 * 7);
    test_concat(3, {64, 128, 32, 32}, 4); // an inception module's four branches
    test_concat(1, {2, 2}, 1);            // [N, C] tensors
}

} // namespace merge_test
