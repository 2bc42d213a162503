// optimizers_test.cpp: kernels/optimizers.cu, three steps of every update against the same steps in double.
#include "harness.h"

namespace optimizers_test {

using namespace hosttest;

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
            launch_n(n, [&] { sgd_update_f32(p.data(), g.data(), n, &lr, wd); });
            for (int i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
        }
        check("sgd, 3 steps", p, w, 1e-6, 1e-5);
    }
    for (int nesterov = 0; nesterov < 2; ++nesterov) {
        auto p = p0;
        std::vector<float> v(n, 0.0f);
        std::vector<double> w(p0.begin(), p0.end()), wv(n, 0.0);
        for (auto& g : grads) {
            launch_n(n, [&] { momentum_update_f32(p.data(), g.data(), v.data(), n, &lr, mom, wd, nesterov); });
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
            launch_n(n, [&] { adagrad_update_f32(p.data(), g.data(), s.data(), n, &lr, eps, wd); });
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
            launch_n(n, [&] { rmsprop_update_f32(p.data(), g.data(), ms.data(), n, &lr, decay, eps, wd); });
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
            launch_n(n, [&] { adam_update_f32(p.data(), g.data(), m.data(), v.data(), n, &lr, &step, b1, b2, eps, wd); });
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

HOSTTEST_FAMILY(optimizers) {
    test_optimizers();
}

} // namespace optimizers_test
