// activation_test.cpp: kernels/activation.cu, ReLU, sigmoid and tanh forward (also in place) and backward
// against double-precision formulas, and on NaN input.
#include "harness.h"

namespace activation_test {

using namespace hosttest;

// Every activation on x: forward against f, backward (from the kernel's y) against dy * f'(y), forward in place.
void test_activations(const std::string& tag, const std::vector<float>& x) {
    const int n = (int)x.size();
    auto dy = random_vector(n);
    struct Case {
        const char* name;
        void (*fwd)(const float*, float*, int);
        void (*bwd)(const float*, const float*, float*, int);
        double (*f)(double);
        double (*df)(double); // from y
    };
    Case cases[] = {
        {"relu", relu_forward_f32, relu_backward_f32, [](double v) { return std::isnan(v) ? v : std::max(v, 0.0); },
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
        check(c.name + tag + " forward", y, wy, 1e-6, 1e-6);
        check(c.name + tag + " backward", dx, wdx, 1e-6, 1e-6);
        // in place, as the layers call it (y == x, dx == dy)
        auto inplace = x;
        launch_n(n, [&] { c.fwd(inplace.data(), inplace.data(), n); });
        check(c.name + tag + " forward in place", inplace, wy, 1e-6, 1e-6);
    }
}

HOSTTEST_FAMILY(activation) {
    test_activations("", random_vector(1000, -4, 4));
    // NaN propagates through every forward (PyTorch's rule; ReLU too), ReLU's backward gives 0 where y is NaN
    auto x = random_vector(1000, -4, 4);
    for (size_t i = 0; i < x.size(); i += 7) {
        x[i] = kNaN;
    }
    test_activations(" with NaN input", x);
}

} // namespace activation_test
