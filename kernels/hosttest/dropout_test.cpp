// dropout_test.cpp: kernels/dropout.cu. The mask's values are checked bit for bit against the Java DropoutMask
// by KernelHostTest, through print_dropout_mask (kernel_tests --dropout-mask SEED P N); here, what the kernels
// do with the mask: y = x * mask and dx = dy * mask exactly, mask values 0 or 1/(1-p) in about the right
// proportion, the same mask for the same seed whatever the launch's size, another one for another seed.
#include "harness.h"

namespace dropout_test {

using namespace hosttest;

std::vector<float> forward(const std::vector<float>& x, unsigned long long seed, float p, std::vector<float>& mask) {
    const int n = (int)x.size();
    std::vector<float> y(n, kNaN);
    mask.assign(n, kNaN);
    float scale = 1.0f / (1.0f - p);
    launch_n(n, [&] { dropout_forward_f32(x.data(), mask.data(), y.data(), n, &seed, p, scale); });
    return y;
}

void test_dropout(unsigned long long seed, float p) {
    const int n = 5000;
    const float scale = 1.0f / (1.0f - p);
    auto x = random_vector(n);
    auto dy = random_vector(n);
    std::vector<float> mask;
    auto y = forward(x, seed, p, mask);
    std::vector<float> dx(n, kNaN);
    launch_n(n, [&] { dropout_backward_f32(dy.data(), mask.data(), dx.data(), n); });
    std::vector<double> wantY(n), wantDx(n);
    int kept = 0;
    bool onlyZeroOrScale = true;
    for (int i = 0; i < n; ++i) {
        wantY[i] = (double)(x[i] * mask[i]);
        wantDx[i] = (double)(dy[i] * mask[i]);
        kept += mask[i] != 0.0f;
        onlyZeroOrScale = onlyZeroOrScale && (mask[i] == 0.0f || mask[i] == scale);
    }
    std::string t = "dropout p " + std::to_string(p);
    expect(onlyZeroOrScale, t + ": every mask value is 0 or 1/(1-p)");
    double keptFraction = (double)kept / n;
    expect(std::fabs(keptFraction - (1 - p)) < 0.03, t + ": kept " + std::to_string(keptFraction) + ", about 1-p");
    check(t + " forward y = x * mask", y, wantY, 0, 0);
    check(t + " backward dx = dy * mask", dx, wantDx, 0, 0);

    std::vector<float> again, shorter, other;
    forward(x, seed, p, again);
    forward(std::vector<float>(x.begin(), x.begin() + 300), seed, p, shorter);
    forward(x, seed + 1, p, other);
    expect(again == mask, t + ": the same seed gives the same mask");
    expect(std::equal(shorter.begin(), shorter.end(), mask.begin()),
           t + ": element i of the mask does not depend on the launch's size");
    expect(other != mask, t + ": another seed gives another mask");
}

// Prints the n mask values of dropout_forward_f32 as float bit patterns (hex, one a line).
int print_dropout_mask(unsigned long long seed, float p, int n) {
    std::vector<float> mask;
    forward(std::vector<float>(n, 1.0f), seed, p, mask);
    for (float m : mask) {
        uint32_t bits;
        std::memcpy(&bits, &m, 4);
        std::printf("%08" PRIx32 "\n", bits);
    }
    return 0;
}

HOSTTEST_FAMILY(dropout) {
    test_dropout(0x5DEECE66DULL, 0.37f);
    test_dropout(42, 0.5f);
    test_dropout(7, 0.1f);
}

} // namespace dropout_test
