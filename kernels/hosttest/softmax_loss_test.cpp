// softmax_loss_test.cpp: kernels/softmax_loss.cu as CudaBackend launches it (rows, then the mean), against a
// double-precision softmax and cross-entropy: probabilities, loss, gradient, argmax, a bad label, NaN logits.
#include "harness.h"

namespace softmax_loss_test {

using namespace hosttest;

// Softmax, loss, gradient and argmax of N rows of K logits. badLabel: one label is K (the loss must be NaN).
// nanLogits: rows 1 and N-2 get a NaN logit (at the label, and elsewhere): their probabilities, their gradient
// rows and the loss must be NaN, every other row finite (PyTorch's rule).
void test_softmax(int N, int K, bool badLabel, bool nanLogits = false) {
    auto logits = random_vector((size_t)N * K, -5, 5);
    std::vector<int> labels(N);
    for (int n = 0; n < N; ++n) labels[n] = (int)(rng() % K);
    if (badLabel) labels[N / 2] = K;
    if (nanLogits) {
        logits[(size_t)1 * K + labels[1]] = kNaN;
        logits[(size_t)(N - 2) * K + (labels[N - 2] + 1) % K] = kNaN;
    }
    std::vector<float> probs(logits.size(), kNaN), loss(1, -1.0f);
    // as CudaBackend launches it: one block per row (fewer blocks than rows here, so the block-stride loop
    // runs), then one block for the mean
    std::vector<float> rowLoss(N, kNaN);
    host_launch(dim3{(unsigned)std::min(N, 7), 1, 1}, 256, [&] {
        softmax_xent_rows_f32(logits.data(), labels.data(), probs.data(), rowLoss.data(), N, K);
    });
    host_launch(dim3{1, 1, 1}, 256, [&] { mean_f32(rowLoss.data(), loss.data(), N); });
    std::vector<double> wp(logits.size()), wd(logits.size());
    double total = 0;
    for (int n = 0; n < N; ++n) {
        const float* row = &logits[(size_t)n * K];
        if (std::any_of(row, row + K, [](float v) { return std::isnan(v); })) {
            std::fill(wp.begin() + (size_t)n * K, wp.begin() + (size_t)(n + 1) * K, std::nan(""));
            total += std::nan("");
            continue;
        }
        double m = -1e30, s = 0;
        for (int j = 0; j < K; ++j) m = std::max(m, (double)logits[(size_t)n * K + j]);
        for (int j = 0; j < K; ++j) s += std::exp(logits[(size_t)n * K + j] - m);
        for (int j = 0; j < K; ++j) wp[(size_t)n * K + j] = std::exp(logits[(size_t)n * K + j] - m) / s;
        total += labels[n] >= 0 && labels[n] < K ? -std::log(wp[(size_t)n * K + labels[n]]) : std::nan("");
    }
    std::string t = "softmax N" + std::to_string(N) + " K" + std::to_string(K) + (badLabel ? " bad label" : "") +
                    (nanLogits ? " NaN logits" : "");
    check(t + " probs", probs, wp, 1e-6, 1e-5);
    check(t + " loss", loss, std::vector<double>{total / N}, 1e-5, 1e-5);
    if (badLabel) return;
    std::vector<float> d(logits.size(), kNaN);
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

// tally_batch_f32 as CudaSoftmaxLoss launches it (one block of 256): the matches among the first count items
// against a count on the host, the loss copied bit for bit (NaN too) or, without one, its column left alone;
// the other slots untouched.
void test_tally(int B, int count, bool withLoss) {
    std::vector<int> pred(B), labels(B);
    for (int i = 0; i < B; ++i) {
        labels[i] = (int)(rng() % 10);
        pred[i] = rng() % 3 == 0 ? (labels[i] + 1) % 10 : labels[i];
    }
    int slots = 5, slot = 3;
    std::vector<float> tallies(2 * slots, 7.0f), loss{withLoss ? kNaN : 1.0f};
    if (withLoss && B % 2) loss[0] = 2.5f;
    host_launch(dim3{1, 1, 1}, 256, [&] {
        tally_batch_f32(pred.data(), labels.data(), count, withLoss ? loss.data() : nullptr, tallies.data(), slot);
    });
    std::vector<double> want(tallies.size(), 7.0);
    long long matches = 0;
    for (int i = 0; i < count; ++i) matches += pred[i] == labels[i];
    want[2 * slot + 1] = (double)matches;
    if (withLoss) want[2 * slot] = loss[0];
    check("tally B" + std::to_string(B) + " count " + std::to_string(count) + (withLoss ? " with loss" : " no loss"),
          tallies, want, 0, 0);
}

HOSTTEST_FAMILY(softmax_loss) {
    test_tally(64, 64, true);
    test_tally(601, 590, true);  // more items than threads, the last ones not counted
    test_tally(16, 0, false);    // nothing counted, no loss
    test_tally(33, 17, false);
    test_softmax(37, 11, false);
    test_softmax(300, 10, false); // more rows than threads
    test_softmax(20, 5, true);
    test_softmax(9, 1000, false); // more columns than threads (ImageNet's 1000 classes)
    test_softmax(3, 1, false);    // one class: p = 1, loss 0
    test_softmax(37, 11, false, true);
    test_softmax(5, 300, false, true); // the NaN in a row longer than the block
}

} // namespace softmax_loss_test
