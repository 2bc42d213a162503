// convolution_winograd_test.cpp: kernels/convolution_winograd.cu. Each transform against the same matrices applied
// in double precision (the matrices typed here from Lavin & Gray 2015, and checked to compose to the 3x3
// correlation); then F(2x2,3x3) and F(4x4,3x3) end to end as CudaConvolutionWinograd runs them (chunks of images,
// one batched sgemm_tiled over the transform points), all three passes, against a direct double-precision
// convolution on odd shapes; and the error of each variant on AlexNet's conv3-5 shapes, printed as
// "error ... of max|y|" lines (docs/convolution-algorithms.md quotes them).
#include "harness.h"

namespace convolution_winograd_test {

using namespace hosttest;

using Matrix = std::vector<std::vector<double>>;

// The transform matrices of F(m x m, 3x3) in double: B^T [a, a], G [a, 3], A^T [m, a].
struct Transforms {
    int m, a;
    Matrix bt, g, at;
};

Transforms transforms(int m) {
    if (m == 2) {
        return {2, 4, {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
                {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}, {{1, 1, 1, 0}, {0, 1, -1, -1}}};
    }
    return {4, 6,
            {{4, 0, -5, 0, 1, 0},
             {0, -4, -4, 1, 1, 0},
             {0, 4, -4, -1, 1, 0},
             {0, -2, -1, 2, 1, 0},
             {0, 2, -1, -2, 1, 0},
             {0, 4, 0, -5, 0, 1}},
            {{1 / 4.0, 0, 0},
             {-1 / 6.0, -1 / 6.0, -1 / 6.0},
             {-1 / 6.0, 1 / 6.0, -1 / 6.0},
             {1 / 24.0, 1 / 12.0, 1 / 6.0},
             {1 / 24.0, -1 / 12.0, 1 / 6.0},
             {0, 0, 1}},
            {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
}

Matrix transpose(const Matrix& l) {
    Matrix t(l[0].size(), std::vector<double>(l.size()));
    for (size_t i = 0; i < l.size(); ++i)
        for (size_t j = 0; j < l[0].size(); ++j) t[j][i] = l[i][j];
    return t;
}

// L X L^T for L [r, s], X [s, s] (row-major in x), flattened row-major.
std::vector<double> sandwich(const Matrix& l, const std::vector<double>& x) {
    size_t r = l.size(), s = l[0].size();
    std::vector<double> out(r * r, 0.0);
    for (size_t i = 0; i < r; ++i)
        for (size_t j = 0; j < r; ++j)
            for (size_t u = 0; u < s; ++u)
                for (size_t v = 0; v < s; ++v) out[i * r + j] += l[i][u] * x[u * s + v] * l[j][v];
    return out;
}

// The double transforms compose to the 3x3 correlation of an [a, a] patch: checks the matrices typed above.
void test_matrices_compose(int m) {
    Transforms f = transforms(m);
    auto d = random_vector((size_t)f.a * f.a);
    auto g = random_vector(9);
    auto v = sandwich(f.bt, std::vector<double>(d.begin(), d.end()));
    auto u = sandwich(f.g, std::vector<double>(g.begin(), g.end()));
    for (size_t t = 0; t < u.size(); ++t) u[t] *= v[t];
    auto y = sandwich(f.at, u);
    std::vector<double> want(m * m, 0.0);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < m; ++j)
            for (int kh = 0; kh < 3; ++kh)
                for (int kw = 0; kw < 3; ++kw) want[i * m + j] += (double)d[(i + kh) * f.a + j + kw] * g[kh * 3 + kw];
    std::string f_m = "F(" + std::to_string(m) + "x" + std::to_string(m) + ",3x3)";
    check(f_m + " double A^T[(G g G^T).(B^T d B)]A = correlation", y, want, 1e-12, 1e-12);
}

// Kernel entry points by tile size.
struct Kernels {
    void (*input)(const float*, float*, int, int, int, int, int, int, int, int);
    void (*filter)(const float*, float*, int, int, int);
    void (*output)(const float*, const float*, float*, int, int, int, int, int, int);
    void (*grad_output)(const float*, float*, int, int, int, int, int, int);
    void (*filter_gradient)(const float*, float*, int, int);
};

Kernels kernels(int m) {
    if (m == 2) {
        return {winograd2_input_transform_f32, winograd2_filter_transform_f32, winograd2_output_transform_f32,
                winograd2_grad_output_transform_f32, winograd2_filter_gradient_f32};
    }
    return {winograd4_input_transform_f32, winograd4_filter_transform_f32, winograd4_output_transform_f32,
            winograd4_grad_output_transform_f32, winograd4_filter_gradient_f32};
}

// Each kernel on a few items against its transform in double: the layouts [T, rows, items] and the borders.
void test_transforms(int m) {
    Transforms f = transforms(m);
    Kernels k = kernels(m);
    const int a = f.a, T = a * a;
    std::string name = "winograd" + std::to_string(m) + " ";
    // input: 2 images, 3 channels of 5x7 with padding 1x2; tiles over a 5x7 output -> TH x TW tiles
    {
        const int B = 2, C = 3, H = 5, W = 7, ph = 1, pw = 2, TH = (H + m - 1) / m, TW = (W + m - 1) / m;
        const int Q = B * TH * TW;
        auto x = random_vector((size_t)B * C * H * W);
        std::vector<float> v((size_t)T * C * Q, kNaN);
        launch_n((long long)C * Q, [&] { k.input(x.data(), v.data(), B, C, H, W, ph, pw, TH, TW); });
        std::vector<double> want(v.size());
        for (int c = 0; c < C; ++c)
            for (int q = 0; q < Q; ++q) {
                int b = q / (TH * TW), th = q % (TH * TW) / TW, tw = q % TW;
                std::vector<double> d((size_t)a * a, 0.0);
                for (int u = 0; u < a; ++u)
                    for (int s = 0; s < a; ++s) {
                        int h = th * m - ph + u, w = tw * m - pw + s;
                        if (h >= 0 && h < H && w >= 0 && w < W) d[u * a + s] = x[((size_t)(b * C + c) * H + h) * W + w];
                    }
                auto out = sandwich(f.bt, d);
                for (int t = 0; t < T; ++t) want[((size_t)t * C + c) * Q + q] = out[t];
            }
        check(name + "input transform B^T d B (borders, padding 1x2)", v, want, 1e-5, 1e-6);
    }
    // filter: 3 x 2 filters, as stored and turned 180 degrees
    for (int flip : {0, 1}) {
        const int K = 3, C = 2;
        auto w = random_vector((size_t)K * C * 9);
        std::vector<float> u((size_t)T * K * C, kNaN);
        launch_n(K * C, [&] { k.filter(w.data(), u.data(), K, C, flip); });
        std::vector<double> want(u.size());
        for (int i = 0; i < K * C; ++i) {
            std::vector<double> g(9);
            for (int r = 0; r < 9; ++r) g[r] = w[(size_t)i * 9 + (flip ? 8 - r : r)];
            auto out = sandwich(f.g, g);
            for (int t = 0; t < T; ++t) want[(size_t)t * K * C + i] = out[t];
        }
        check(name + "filter transform G g G^T" + (flip ? " (turned 180 degrees)" : ""), u, want, 1e-6, 1e-6);
    }
    // output: A^T M A cropped to 5x7 plus a bias, with and without it; the inverse of the input side
    for (bool withBias : {true, false}) {
        const int B = 2, K = 3, OH = 5, OW = 7, TH = (OH + m - 1) / m, TW = (OW + m - 1) / m, Q = B * TH * TW;
        auto mt = random_vector((size_t)T * K * Q);
        auto bias = random_vector(K);
        std::vector<float> y((size_t)B * K * OH * OW, kNaN);
        launch_n((long long)K * Q, [&] {
            k.output(mt.data(), withBias ? bias.data() : nullptr, y.data(), B, K, OH, OW, TH, TW);
        });
        std::vector<double> want(y.size());
        for (int kk = 0; kk < K; ++kk)
            for (int q = 0; q < Q; ++q) {
                int b = q / (TH * TW), th = q % (TH * TW) / TW, tw = q % TW;
                std::vector<double> in(T);
                for (int t = 0; t < T; ++t) in[t] = mt[((size_t)t * K + kk) * Q + q];
                auto out = sandwich(f.at, in);
                for (int i = 0; i < m; ++i)
                    for (int j = 0; j < m; ++j) {
                        int oh = th * m + i, ow = tw * m + j;
                        if (oh < OH && ow < OW) {
                            double add = withBias ? bias[kk] : 0.0;
                            want[((size_t)(b * K + kk) * OH + oh) * OW + ow] = out[i * m + j] + add;
                        }
                    }
            }
        check(name + "output transform A^T M A, cropped" + (withBias ? ", plus bias" : ""), y, want, 1e-5, 1e-6);
    }
    // the adjoints of the backward filter pass: A dY A^T (dY zero outside 5x7) and dw += G^T S G
    {
        const int B = 2, K = 3, OH = 5, OW = 7, TH = (OH + m - 1) / m, TW = (OW + m - 1) / m, Q = B * TH * TW;
        auto dy = random_vector((size_t)B * K * OH * OW);
        std::vector<float> z((size_t)T * K * Q, kNaN);
        launch_n((long long)K * Q, [&] { k.grad_output(dy.data(), z.data(), B, K, OH, OW, TH, TW); });
        std::vector<double> want(z.size());
        Matrix aT = transpose(f.at);
        for (int kk = 0; kk < K; ++kk)
            for (int q = 0; q < Q; ++q) {
                int b = q / (TH * TW), th = q % (TH * TW) / TW, tw = q % TW;
                std::vector<double> d((size_t)m * m, 0.0);
                for (int i = 0; i < m; ++i)
                    for (int j = 0; j < m; ++j) {
                        int oh = th * m + i, ow = tw * m + j;
                        if (oh < OH && ow < OW) d[i * m + j] = dy[((size_t)(b * K + kk) * OH + oh) * OW + ow];
                    }
                auto out = sandwich(aT, d);
                for (int t = 0; t < T; ++t) want[((size_t)t * K + kk) * Q + q] = out[t];
            }
        check(name + "output gradient transform A dY A^T (zero outside the output)", z, want, 1e-5, 1e-6);
    }
    {
        const int K = 3, C = 2;
        auto s = random_vector((size_t)T * K * C);
        auto dw0 = random_vector((size_t)K * C * 9);
        auto dw = dw0;
        launch_n(K * C, [&] { k.filter_gradient(s.data(), dw.data(), K, C); });
        std::vector<double> want(dw.size());
        Matrix gT = transpose(f.g);
        for (int i = 0; i < K * C; ++i) {
            std::vector<double> in(T);
            for (int t = 0; t < T; ++t) in[t] = s[(size_t)t * K * C + i];
            auto out = sandwich(gT, in);
            for (int r = 0; r < 9; ++r) want[(size_t)i * 9 + r] = dw0[(size_t)i * 9 + r] + out[r];
        }
        check(name + "filter gradient dw += G^T S G (accumulates)", dw, want, 1e-5, 1e-6);
    }
}

// A 3x3 stride-1 convolution x [N, C, H, W] * w [K, C/G, 3, 3], padding p both ways, in G groups (filter k sees
// the channels of its group k / (K/G)).
struct Conv {
    int N, C, H, W, K, p, G = 1;
    int Cg() const { return C / G; }
    int Kg() const { return K / G; }
    int OH() const { return H + 2 * p - 2; }
    int OW() const { return W + 2 * p - 2; }
};

// The three passes in double: y = conv(x, w) + bias, dx and dw (without dw's starting value); and y in float,
// summed in im2col's order (c, kh, kw): the error of the direct method, for comparison.
struct Direct {
    std::vector<double> y, dx, dw;
    std::vector<float> yFloat;
};

Direct direct(const Conv& g, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& bias,
              const std::vector<float>& dy) {
    const int OH = g.OH(), OW = g.OW();
    Direct r{std::vector<double>((size_t)g.N * g.K * OH * OW), std::vector<double>(x.size(), 0.0),
             std::vector<double>(w.size(), 0.0), std::vector<float>((size_t)g.N * g.K * OH * OW)};
    for (int n = 0; n < g.N; ++n)
        for (int k = 0; k < g.K; ++k)
            for (int oh = 0; oh < OH; ++oh)
                for (int ow = 0; ow < OW; ++ow) {
                    size_t yi = ((size_t)(n * g.K + k) * OH + oh) * OW + ow;
                    double acc = 0, d = dy[yi];
                    float accFloat = 0;
                    const int c0 = k / g.Kg() * g.Cg();
                    for (int c = c0; c < c0 + g.Cg(); ++c)
                        for (int kh = 0; kh < 3; ++kh)
                            for (int kw = 0; kw < 3; ++kw) {
                                int h = oh - g.p + kh, ww = ow - g.p + kw;
                                if (h < 0 || h >= g.H || ww < 0 || ww >= g.W) continue;
                                size_t xi = ((size_t)(n * g.C + c) * g.H + h) * g.W + ww;
                                size_t wi = ((size_t)(k * g.Cg() + c - c0) * 3 + kh) * 3 + kw;
                                acc += (double)x[xi] * w[wi];
                                accFloat += x[xi] * w[wi];
                                r.dx[xi] += d * w[wi];
                                r.dw[wi] += d * x[xi];
                            }
                    r.y[yi] = acc + bias[k];
                    r.yFloat[yi] = accFloat + bias[k];
                }
    return r;
}

// CudaConvolutionWinograd's sequence on the emulation: buffers poisoned with NaN, chunks of `chunk` images; with
// groups, U and S are [T, K, C/G] and each GEMM is a batch of T*G products of the groups' slices.
struct Winograd {
    int m, chunk;
    Kernels k;
    int T() const { return (m + 2) * (m + 2); }

    // out [N, outC, outH, outW] = 3x3 convolution of in [N, inC, inH, inW] with padding pad, filters w [K, C/G, 3, 3]
    // as stored (backward = false: inC = C, outC = K) or turned and transposed (backward: inC = K, outC = C)
    void convolve(const Conv& g, bool backward, const float* in, const float* w, const float* bias, float* out) {
        const int inC = backward ? g.K : g.C, outC = backward ? g.C : g.K;
        const int inH = backward ? g.OH() : g.H, inW = backward ? g.OW() : g.W;
        const int outH = backward ? g.H : g.OH(), outW = backward ? g.W : g.OW();
        const int pad = backward ? 2 - g.p : g.p;
        const int TH = (outH + m - 1) / m, TW = (outW + m - 1) / m;
        std::vector<float> u((size_t)T() * g.K * g.Cg(), kNaN);
        std::vector<float> v((size_t)T() * inC * TH * TW * chunk, kNaN);
        std::vector<float> mt((size_t)T() * outC * TH * TW * chunk, kNaN);
        launch_n((long long)g.K * g.Cg(), [&] { k.filter(w, u.data(), g.K, g.Cg(), backward); });
        for (int n0 = 0; n0 < g.N; n0 += chunk) {
            int B = std::min(chunk, g.N - n0), Q = B * TH * TW;
            const float* inb = in + (size_t)n0 * inC * inH * inW;
            launch_n((long long)inC * Q, [&] { k.input(inb, v.data(), B, inC, inH, inW, pad, pad, TH, TW); });
            gemm("sgemm_tiled", backward, 0, outC / g.G, Q, inC / g.G, 1.0f, u.data(), g.Cg(), (long long)g.Kg() * g.Cg(),
                 v.data(), Q, (long long)inC / g.G * Q, 0.0f, mt.data(), Q, (long long)outC / g.G * Q, T() * g.G);
            float* outb = out + (size_t)n0 * outC * outH * outW;
            launch_n((long long)outC * Q, [&] { k.output(mt.data(), bias, outb, B, outC, outH, outW, TH, TW); });
        }
    }

    void backward_filter(const Conv& g, const float* x, const float* dy, float* dw) {
        const int TH = (g.OH() + m - 1) / m, TW = (g.OW() + m - 1) / m;
        std::vector<float> s((size_t)T() * g.K * g.Cg(), kNaN);
        std::vector<float> v((size_t)T() * g.C * TH * TW * chunk, kNaN);
        std::vector<float> z((size_t)T() * g.K * TH * TW * chunk, kNaN);
        for (int n0 = 0; n0 < g.N; n0 += chunk) {
            int B = std::min(chunk, g.N - n0), Q = B * TH * TW;
            const float* xb = x + (size_t)n0 * g.C * g.H * g.W;
            const float* dyb = dy + (size_t)n0 * g.K * g.OH() * g.OW();
            launch_n((long long)g.C * Q, [&] { k.input(xb, v.data(), B, g.C, g.H, g.W, g.p, g.p, TH, TW); });
            launch_n((long long)g.K * Q, [&] { k.grad_output(dyb, z.data(), B, g.K, g.OH(), g.OW(), TH, TW); });
            gemm("sgemm_tiled", 0, 1, g.Kg(), g.Cg(), Q, 1.0f, z.data(), Q, (long long)g.Kg() * Q, v.data(), Q,
                 (long long)g.Cg() * Q, n0 == 0 ? 0.0f : 1.0f, s.data(), g.Cg(), (long long)g.Kg() * g.Cg(), T() * g.G);
        }
        launch_n((long long)g.K * g.Cg(), [&] { k.filter_gradient(s.data(), dw, g.K, g.Cg()); });
    }
};

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double e : v) m = std::max(m, std::fabs(e));
    return m;
}

// max |got - want| / max |want|
template <typename T> double relative_error(const std::vector<T>& got, const std::vector<double>& want) {
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs((double)got[i] - want[i]));
    return worst / max_abs(want);
}

// One convolution's inputs (uniform in [-1, 1], dW's starting value too) and its direct double results, shared by
// both variants.
struct Problem {
    Conv g;
    std::vector<float> x, w, bias, dy, dw0;
    Direct want;
};

Problem problem(Conv g) {
    Problem p{g, random_vector((size_t)g.N * g.C * g.H * g.W), random_vector((size_t)g.K * g.Cg() * 9),
              random_vector(g.K), random_vector((size_t)g.N * g.K * g.OH() * g.OW()), {}, {}};
    p.dw0 = random_vector(p.w.size());
    p.want = direct(g, p.x, p.w, p.bias, p.dy);
    return p;
}

// The three passes of F(m x m, 3x3) against the direct double convolution: every element within
// `bound` * max|want| (dw: of its increment), NaN nowhere. With a label, prints each pass's error relative to
// max|want| (dw: of the increment).
void test_end_to_end(int m, const Problem& p, int chunk, double bound, const std::string& label = "") {
    const Conv& g = p.g;
    const Direct& want = p.want;
    Winograd wino{m, chunk, kernels(m)};
    char tag[160];
    std::snprintf(tag, sizeof tag, "%sF(%dx%d,3x3) N%d C%d %dx%d K%d pad %d groups %d chunk %d", label.c_str(), m, m,
                  g.N, g.C, g.H, g.W, g.K, g.p, g.G, chunk);
    std::string t(tag);

    std::vector<float> y(want.y.size(), kNaN);
    wino.convolve(g, false, p.x.data(), p.w.data(), p.bias.data(), y.data());
    check(t + " forward", y, want.y, bound * max_abs(want.y), 0);

    std::vector<float> dx(p.x.size(), kNaN);
    wino.convolve(g, true, p.dy.data(), p.w.data(), nullptr, dx.data());
    check(t + " backward data", dx, want.dx, bound * max_abs(want.dx), 0);

    auto dw = p.dw0;
    wino.backward_filter(g, p.x.data(), p.dy.data(), dw.data());
    std::vector<double> wantDw(want.dw);
    std::vector<float> increment(dw.size());
    for (size_t i = 0; i < dw.size(); ++i) {
        wantDw[i] += p.dw0[i];
        increment[i] = dw[i] - p.dw0[i];
    }
    check(t + " backward filter (accumulated)", dw, wantDw, bound * max_abs(want.dw), 0);
    if (!label.empty()) {
        std::printf("     error %s of max|y|: forward %.2e (direct float %.2e), backward data %.2e, backward filter "
                    "%.2e\n",
                    tag, relative_error(y, want.y), relative_error(want.yFloat, want.y), relative_error(dx, want.dx),
                    relative_error(increment, want.dw));
    }
}

// AlexNet layers (13x13, pad 1) in both variants, each with its measured error printed.
void test_alexnet(const std::vector<std::pair<std::string, Conv>>& layers) {
    for (const auto& [name, g] : layers) {
        Problem p = problem(g);
        test_end_to_end(2, p, g.N, 2e-6, name + " ");
        test_end_to_end(4, p, g.N, 5e-5, name + " ");
    }
}

// kernel_tests --winograd-error: the measured error of both variants on AlexNet's conv3-5 (what
// docs/convolution-algorithms.md quotes; minutes on the emulation, so not part of the family's checks).
int print_winograd_error() {
    test_alexnet({{"AlexNet conv3", Conv{2, 256, 13, 13, 384, 1}},
                  {"AlexNet conv4", Conv{1, 384, 13, 13, 384, 1}},
                  {"AlexNet conv5", Conv{1, 384, 13, 13, 256, 1}}});
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

HOSTTEST_FAMILY(convolution_winograd) {
    for (int m : {2, 4}) {
        test_matrices_compose(m);
        test_transforms(m);
    }
    // odd shapes: H, W not multiples of the tile, C = 1, K = 1, padding 0, 1, 2 and 3 (backward data's 2 - p
    // negative), N > 1 in chunks that do not divide it, an output of one element; groups 2, 3 and C
    const std::pair<Conv, int> shapes[] = {{Conv{3, 2, 7, 9, 3, 1}, 2},  {Conv{1, 1, 5, 6, 1, 0}, 1},
                                           {Conv{2, 3, 6, 11, 1, 2}, 2}, {Conv{2, 1, 3, 3, 4, 0}, 1},
                                           {Conv{1, 2, 4, 5, 2, 3}, 1},  {Conv{5, 17, 13, 10, 33, 1}, 2},
                                           // grouped: 2 groups, depthwise with multiplier 2, depthwise with pad 2
                                           {Conv{3, 4, 7, 9, 6, 1, 2}, 2},  {Conv{2, 3, 6, 5, 6, 1, 3}, 1},
                                           {Conv{1, 5, 5, 6, 5, 2, 5}, 1}};
    for (const auto& [g, chunk] : shapes) {
        Problem p = problem(g);
        test_end_to_end(2, p, chunk, 1e-6);
        test_end_to_end(4, p, chunk, 1e-5);
    }
    // one AlexNet layer at full size (all three: kernel_tests --winograd-error)
    test_alexnet({{"AlexNet conv5", Conv{1, 384, 13, 13, 256, 1}}});
}

} // namespace convolution_winograd_test
