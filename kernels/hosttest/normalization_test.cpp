// normalization_test.cpp: kernels/normalization.cu: LRN and batch normalization forward against double-precision
// references, backward against central differences of those references.
#include "harness.h"

namespace normalization_test {

using namespace hosttest;

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

HOSTTEST_FAMILY(normalization) {
    test_lrn(5);
    test_lrn(7);
    test_batchnorm(4, 3, 70);
    test_batchnorm(300, 2, 1);
}

} // namespace normalization_test
