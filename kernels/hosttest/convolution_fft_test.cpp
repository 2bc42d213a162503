// convolution_fft_test.cpp: kernels/convolution_fft.cu. The pad, product and crop kernels against double
// references; then the whole FFT convolution as CudaConvolutionFft runs it (chunks of images, the same kernel
// launches and strides), with cuFFT replaced by a naive DFT in double written to cuFFT's conventions (R2C into the
// Hermitian half [P, Q/2+1], e^-2pi i; C2R unnormalized, e^+2pi i, from the half), its outputs rounded to float as
// cuFFT stores them; all three passes against a direct double-precision convolution, on odd shapes and AlexNet
// conv2-like shapes (5x5, padding 2, 27x27), printing "error ... of max|y|" lines (docs/convolution-algorithms.md
// quotes them).
#include <cmath>
#include <complex>

#include "harness.h"

namespace convolution_fft_test {

using namespace hosttest;
using cd = std::complex<double>;

// A stride-1 convolution x [N, C, H, W] * w [K, C, FH, FW], padding ph x pw.
struct Conv {
    int N, C, H, W, K, FH, FW, ph, pw;
    int OH() const { return H + 2 * ph - FH + 1; }
    int OW() const { return W + 2 * pw - FW + 1; }
};

// CudaConvolutionFft.fftSize: the smallest n' >= n with prime factors 2, 3, 5, 7 only.
int fft_size(int n) {
    for (int m = std::max(1, n);; ++m) {
        int r = m;
        for (int p : {2, 3, 5, 7})
            while (r % p == 0) r /= p;
        if (r == 1) return m;
    }
}

// The tile of a convolution, as CudaConvolutionFft.tiles.
struct Tiles {
    int P, Q;
    int F() const { return P * (Q / 2 + 1); }
};

Tiles tiles(const Conv& g) {
    return {fft_size(g.H + std::max(2 * g.ph, g.FH - 1)), fft_size(g.W + std::max(2 * g.pw, g.FW - 1))};
}

const double kPi = std::acos(-1.0);

// The DFTs sum in double (exact before the float rounding of their outputs) unless dft_in_float is set: then
// every sum and twiddle is float, a naive DFT's O(P + Q) rounding steps, more than an FFT's O(log2(PQ)): the two
// bracket cuFFT's error.
inline bool dft_in_float = false;

// cufftExecR2C of a plan of batch P x Q transforms: real [batch, P, Q] -> complex [batch, P, Q/2+1] (float pairs),
// X[ku, kv] = sum_{u,v} x[u, v] e^{-2 pi i (ku u / P + kv v / Q)}, rounded to float.
template <typename T> void r2c_in(int batch, int P, int Q, const float* in, float* out) {
    using ct = std::complex<T>;
    const int H = Q / 2 + 1;
    for (int b = 0; b < batch; ++b) {
        std::vector<ct> rows((size_t)P * H);
        for (int u = 0; u < P; ++u)
            for (int kv = 0; kv < H; ++kv) {
                ct s = 0;
                for (int v = 0; v < Q; ++v)
                    s += (T)in[((size_t)b * P + u) * Q + v] * ct(std::polar(1.0, -2 * kPi * (kv * v % Q) / Q));
                rows[(size_t)u * H + kv] = s;
            }
        for (int ku = 0; ku < P; ++ku)
            for (int kv = 0; kv < H; ++kv) {
                ct s = 0;
                for (int u = 0; u < P; ++u)
                    s += rows[(size_t)u * H + kv] * ct(std::polar(1.0, -2 * kPi * (ku * u % P) / P));
                float* o = out + 2 * (((size_t)b * P + ku) * H + kv);
                o[0] = (float)s.real();
                o[1] = (float)s.imag();
            }
    }
}

// cufftExecC2R: complex [batch, P, Q/2+1] -> real [batch, P, Q], x[u, v] = Re sum over the full spectrum (the
// missing half X[ku, kv] = conj X[-ku, -kv]) of X e^{+2 pi i (ku u / P + kv v / Q)}, unnormalized, rounded to float.
template <typename T> void c2r_in(int batch, int P, int Q, const float* in, float* out) {
    using ct = std::complex<T>;
    const int H = Q / 2 + 1;
    for (int b = 0; b < batch; ++b) {
        std::vector<ct> cols((size_t)P * H); // inverse along the rows index first: T[u, kv]
        for (int u = 0; u < P; ++u)
            for (int kv = 0; kv < H; ++kv) {
                ct s = 0;
                for (int ku = 0; ku < P; ++ku) {
                    const float* x = in + 2 * (((size_t)b * P + ku) * H + kv);
                    s += ct(x[0], x[1]) * ct(std::polar(1.0, 2 * kPi * (ku * u % P) / P));
                }
                cols[(size_t)u * H + kv] = s;
            }
        for (int u = 0; u < P; ++u)
            for (int v = 0; v < Q; ++v) {
                T s = 0;
                for (int kv = 0; kv < Q; ++kv) {
                    ct t = kv < H ? cols[(size_t)u * H + kv] : std::conj(cols[(size_t)u * H + Q - kv]);
                    s += (t * ct(std::polar(1.0, 2 * kPi * (kv * v % Q) / Q))).real();
                }
                out[((size_t)b * P + u) * Q + v] = (float)s;
            }
    }
}

void r2c(int batch, int P, int Q, const float* in, float* out) {
    dft_in_float ? r2c_in<float>(batch, P, Q, in, out) : r2c_in<double>(batch, P, Q, in, out);
}

void c2r(int batch, int P, int Q, const float* in, float* out) {
    dft_in_float ? c2r_in<float>(batch, P, Q, in, out) : c2r_in<double>(batch, P, Q, in, out);
}

void pad(const Tiles& t, const float* src, float* dst, long long planes, int rows, int cols, int sh, int sw) {
    launch_n(planes * t.P * t.Q, [&] { fft_pad_f32(src, dst, planes, rows, cols, t.P, t.Q, sh, sw); });
}

void product(const Tiles& t, const float* a, const float* b, float* out, int I, int J, int L, int aI, int aL, int bJ,
             int bL, int oI, int oJ, int conjA, int conjB, int acc) {
    dim3 grid{(unsigned)((t.F() + 31) / 32), (unsigned)((J + 31) / 32), (unsigned)((I + 7) / 8)};
    host_launch(grid, CN4J_BLOCK, [&] {
        fft_product_f32(a, b, out, I, J, L, t.F(), aI, aL, bJ, bL, oI, oJ, conjA, conjB, acc);
    });
}

void crop(const Tiles& t, const float* tiles, const float* bias, float* out, long long planes, int channels, int rows,
          int cols, int sh, int sw, int acc) {
    launch_n(planes * rows * cols, [&] {
        fft_crop_f32(tiles, bias, out, planes, channels, rows, cols, t.P, t.Q, sh, sw, 1.0f / (t.P * t.Q), acc);
    });
}

// fft_pad_f32 against its definition: every placement shift, rows/cols smaller than the tile.
void test_pad() {
    const Tiles t{8, 10};
    const int planes = 3, rows = 5, cols = 7;
    auto src = random_vector((size_t)planes * rows * cols);
    for (auto [sh, sw] : {std::pair{0, 0}, std::pair{2, 3}, std::pair{7, 9}}) {
        std::vector<float> got((size_t)planes * t.P * t.Q, kNaN);
        pad(t, src.data(), got.data(), planes, rows, cols, sh, sw);
        std::vector<double> want(got.size(), 0.0);
        for (int p = 0; p < planes; ++p)
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c) {
                    int u = ((r - sh) % t.P + t.P) % t.P, v = ((c - sw) % t.Q + t.Q) % t.Q;
                    want[((size_t)p * t.P + u) * t.Q + v] = src[((size_t)p * rows + r) * cols + c];
                }
        check("pad into 8x10 tiles, element (r, c) at (r - " + std::to_string(sh) + ", c - " + std::to_string(sw) +
                  ") wrapped, zeros elsewhere",
              got, want, 0, 0);
    }
}

// fft_product_f32 with the three passes' strides and conjugations, and accumulation, against a double complex
// reference: F, I, J and L not multiples of its 32 frequencies, 8 x 32 outputs and 4 steps, and larger than one
// block of each.
void test_product() {
    const Tiles t{7, 16}; // F = 63
    const int F = t.F(), N = 11, C = 37, K = 6;
    auto spectrum = [&](int planes) { return random_vector((size_t)planes * F * 2); };
    auto at = [&](const std::vector<float>& v, int plane, int f) {
        return cd(v[2 * ((size_t)plane * F + f)], v[2 * ((size_t)plane * F + f) + 1]);
    };
    auto X = spectrum(N * C), W = spectrum(K * C), DY = spectrum(N * K), S0 = spectrum(K * C);
    auto flatten = [&](const std::vector<cd>& v) {
        std::vector<double> out(2 * v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            out[2 * i] = v[i].real();
            out[2 * i + 1] = v[i].imag();
        }
        return out;
    };
    {
        std::vector<float> y((size_t)N * K * F * 2, kNaN);
        product(t, X.data(), W.data(), y.data(), N, K, C, C, 1, C, 1, K, 1, 0, 1, 0);
        std::vector<cd> want((size_t)N * K * F);
        for (int n = 0; n < N; ++n)
            for (int k = 0; k < K; ++k)
                for (int f = 0; f < F; ++f)
                    for (int c = 0; c < C; ++c)
                        want[((size_t)n * K + k) * F + f] += at(X, n * C + c, f) * std::conj(at(W, k * C + c, f));
        check("product Y[n,k] = sum_c X[n,c] conj(W[k,c]) (forward)", y, flatten(want), 1e-5, 1e-5);
    }
    {
        std::vector<float> dx((size_t)N * C * F * 2, kNaN);
        product(t, DY.data(), W.data(), dx.data(), N, C, K, K, 1, 1, C, C, 1, 0, 0, 0);
        std::vector<cd> want((size_t)N * C * F);
        for (int n = 0; n < N; ++n)
            for (int c = 0; c < C; ++c)
                for (int f = 0; f < F; ++f)
                    for (int k = 0; k < K; ++k)
                        want[((size_t)n * C + c) * F + f] += at(DY, n * K + k, f) * at(W, k * C + c, f);
        check("product DX[n,c] = sum_k DY[n,k] W[k,c] (backward data)", dx, flatten(want), 1e-5, 1e-5);
    }
    for (int acc : {0, 1}) {
        auto s = S0;
        product(t, DY.data(), X.data(), s.data(), K, C, N, 1, K, 1, C, C, 1, 1, 0, acc);
        std::vector<cd> want((size_t)K * C * F);
        for (int k = 0; k < K; ++k)
            for (int c = 0; c < C; ++c)
                for (int f = 0; f < F; ++f) {
                    cd sum = acc ? at(S0, k * C + c, f) : 0.0;
                    for (int n = 0; n < N; ++n) sum += std::conj(at(DY, n * K + k, f)) * at(X, n * C + c, f);
                    want[((size_t)k * C + c) * F + f] = sum;
                }
        check(std::string("product S[k,c] ") + (acc ? "+" : "") + "= sum_n conj(DY[n,k]) X[n,c] (backward filter)", s,
              flatten(want), 1e-5, 1e-5);
    }
}

// fft_crop_f32: shifts, scale 1/PQ, bias by channel, accumulation.
void test_crop() {
    const Tiles t{8, 10};
    const int planes = 6, channels = 3, rows = 5, cols = 7;
    auto tiles = random_vector((size_t)planes * t.P * t.Q);
    auto bias = random_vector(channels);
    auto start = random_vector((size_t)planes * rows * cols);
    for (int variant = 0; variant < 3; ++variant) { // plain + bias at shift (2, 3); accumulate at shift (0, 0)
        int sh = variant == 2 ? 0 : 2, sw = variant == 2 ? 0 : 3, acc = variant == 2;
        const float* b = variant == 1 ? bias.data() : nullptr;
        auto out = acc ? start : std::vector<float>(start.size(), kNaN);
        crop(t, tiles.data(), b, out.data(), planes, channels, rows, cols, sh, sw, acc);
        std::vector<double> want(out.size());
        for (int p = 0; p < planes; ++p)
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c) {
                    int u = ((r - sh) % t.P + t.P) % t.P, v = ((c - sw) % t.Q + t.Q) % t.Q;
                    size_t i = ((size_t)p * rows + r) * cols + c;
                    want[i] = (acc ? start[i] : 0.0) + tiles[((size_t)p * t.P + u) * t.Q + v] / (double)(t.P * t.Q) +
                              (b ? bias[p % channels] : 0.0);
                }
        const char* what[] = {"crop at shift (2, 3), / PQ", "crop at shift (2, 3), / PQ, plus bias by channel",
                              "crop at the origin, / PQ, accumulated"};
        check(what[variant], out, want, 1e-6, 1e-6);
    }
}

// The three passes in double: y = conv(x, w) + bias, dx, dw (without dw's starting value).
struct Direct {
    std::vector<double> y, dx, dw;
};

Direct direct(const Conv& g, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& bias,
              const std::vector<float>& dy) {
    const int OH = g.OH(), OW = g.OW();
    Direct r{std::vector<double>((size_t)g.N * g.K * OH * OW), std::vector<double>(x.size(), 0.0),
             std::vector<double>(w.size(), 0.0)};
    for (int n = 0; n < g.N; ++n)
        for (int k = 0; k < g.K; ++k)
            for (int oh = 0; oh < OH; ++oh)
                for (int ow = 0; ow < OW; ++ow) {
                    size_t yi = ((size_t)(n * g.K + k) * OH + oh) * OW + ow;
                    double acc = 0, d = dy[yi];
                    for (int c = 0; c < g.C; ++c)
                        for (int kh = 0; kh < g.FH; ++kh)
                            for (int kw = 0; kw < g.FW; ++kw) {
                                int h = oh - g.ph + kh, ww = ow - g.pw + kw;
                                if (h < 0 || h >= g.H || ww < 0 || ww >= g.W) continue;
                                size_t xi = ((size_t)(n * g.C + c) * g.H + h) * g.W + ww;
                                size_t wi = ((size_t)(k * g.C + c) * g.FH + kh) * g.FW + kw;
                                acc += (double)x[xi] * w[wi];
                                r.dx[xi] += d * w[wi];
                                r.dw[wi] += d * x[xi];
                            }
                    r.y[yi] = acc + bias[k];
                }
    return r;
}

// CudaConvolutionFft's sequence on the emulation, chunks of `chunk` images, every buffer poisoned with NaN first.
struct Fft {
    Conv g;
    int chunk;
    Tiles t = tiles(g);

    std::vector<float> spectra(long long planes) const { return std::vector<float>((size_t)planes * t.F() * 2, kNaN); }
    std::vector<float> real(long long planes) const { return std::vector<float>((size_t)planes * t.P * t.Q, kNaN); }

    std::vector<float> filter_spectra(const float* w) const {
        const int kc = g.K * g.C;
        auto r = real(kc);
        auto wf = spectra(kc);
        pad(t, w, r.data(), kc, g.FH, g.FW, 0, 0);
        r2c(kc, t.P, t.Q, r.data(), wf.data());
        return wf;
    }

    void forward(const float* x, const float* w, const float* bias, float* y) const {
        auto wf = filter_spectra(w);
        for (int n0 = 0; n0 < g.N; n0 += chunk) {
            int b = std::min(chunk, g.N - n0);
            auto r = real((long long)b * std::max(g.C, g.K));
            auto xf = spectra((long long)b * g.C), yf = spectra((long long)b * g.K);
            pad(t, x + (size_t)n0 * g.C * g.H * g.W, r.data(), (long long)b * g.C, g.H, g.W, 0, 0);
            r2c(b * g.C, t.P, t.Q, r.data(), xf.data());
            product(t, xf.data(), wf.data(), yf.data(), b, g.K, g.C, g.C, 1, g.C, 1, g.K, 1, 0, 1, 0);
            c2r(b * g.K, t.P, t.Q, yf.data(), r.data());
            crop(t, r.data(), bias, y + (size_t)n0 * g.K * g.OH() * g.OW(), (long long)b * g.K, g.K, g.OH(), g.OW(),
                 g.ph, g.pw, 0);
        }
    }

    void backward_data(const float* dy, const float* w, float* dx) const {
        auto wf = filter_spectra(w);
        for (int n0 = 0; n0 < g.N; n0 += chunk) {
            int b = std::min(chunk, g.N - n0);
            auto r = real((long long)b * std::max(g.C, g.K));
            auto dyf = spectra((long long)b * g.K), dxf = spectra((long long)b * g.C);
            pad(t, dy + (size_t)n0 * g.K * g.OH() * g.OW(), r.data(), (long long)b * g.K, g.OH(), g.OW(), g.ph, g.pw);
            r2c(b * g.K, t.P, t.Q, r.data(), dyf.data());
            product(t, dyf.data(), wf.data(), dxf.data(), b, g.C, g.K, g.K, 1, 1, g.C, g.C, 1, 0, 0, 0);
            c2r(b * g.C, t.P, t.Q, dxf.data(), r.data());
            crop(t, r.data(), nullptr, dx + (size_t)n0 * g.C * g.H * g.W, (long long)b * g.C, g.C, g.H, g.W, 0, 0, 0);
        }
    }

    void backward_filter(const float* x, const float* dy, float* dw) const {
        const int kc = g.K * g.C;
        auto s = spectra(kc);
        for (int n0 = 0; n0 < g.N; n0 += chunk) {
            int b = std::min(chunk, g.N - n0);
            auto r = real((long long)b * std::max(g.C, g.K));
            auto xf = spectra((long long)b * g.C), dyf = spectra((long long)b * g.K);
            pad(t, x + (size_t)n0 * g.C * g.H * g.W, r.data(), (long long)b * g.C, g.H, g.W, 0, 0);
            r2c(b * g.C, t.P, t.Q, r.data(), xf.data());
            pad(t, dy + (size_t)n0 * g.K * g.OH() * g.OW(), r.data(), (long long)b * g.K, g.OH(), g.OW(), g.ph, g.pw);
            r2c(b * g.K, t.P, t.Q, r.data(), dyf.data());
            product(t, dyf.data(), xf.data(), s.data(), g.K, g.C, b, 1, g.K, 1, g.C, g.C, 1, 1, 0, n0 > 0);
        }
        auto r = real(kc);
        c2r(kc, t.P, t.Q, s.data(), r.data());
        crop(t, r.data(), nullptr, dw, kc, g.C, g.FH, g.FW, 0, 0, 1);
    }
};

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double e : v) m = std::max(m, std::fabs(e));
    return m;
}

// max |got - want| / max |want|
double relative_error(const std::vector<float>& got, const std::vector<double>& want) {
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs((double)got[i] - want[i]));
    return worst / max_abs(want);
}

// The three passes against the direct double convolution: every element within bound * max|want| (dw: of its
// increment), NaN nowhere; prints each pass's error relative to max|want|.
void test_end_to_end(const std::string& label, const Conv& g, int chunk, double bound) {
    auto x = random_vector((size_t)g.N * g.C * g.H * g.W), w = random_vector((size_t)g.K * g.C * g.FH * g.FW);
    auto bias = random_vector(g.K), dy = random_vector((size_t)g.N * g.K * g.OH() * g.OW());
    auto dw0 = random_vector(w.size());
    Direct want = direct(g, x, w, bias, dy);
    Fft fft{g, chunk};
    char tag[200];
    std::snprintf(tag, sizeof tag, "%sN%d C%d %dx%d K%d %dx%d pad %dx%d, %dx%d tiles, chunk %d", label.c_str(), g.N,
                  g.C, g.H, g.W, g.K, g.FH, g.FW, g.ph, g.pw, fft.t.P, fft.t.Q, chunk);
    std::string t(tag);

    std::vector<float> y(want.y.size(), kNaN);
    fft.forward(x.data(), w.data(), bias.data(), y.data());
    check(t + " forward", y, want.y, bound * max_abs(want.y), 0);

    std::vector<float> dx(x.size(), kNaN);
    fft.backward_data(dy.data(), w.data(), dx.data());
    check(t + " backward data", dx, want.dx, bound * max_abs(want.dx), 0);

    auto dw = dw0;
    fft.backward_filter(x.data(), dy.data(), dw.data());
    std::vector<double> wantDw(want.dw);
    std::vector<float> increment(dw.size());
    for (size_t i = 0; i < dw.size(); ++i) {
        wantDw[i] += dw0[i];
        increment[i] = dw[i] - dw0[i];
    }
    check(t + " backward filter (accumulated)", dw, wantDw, bound * max_abs(want.dw), 0);
    std::printf("     error %s of max|y|: forward %.2e, backward data %.2e, backward filter %.2e\n", tag,
                relative_error(y, want.y), relative_error(dx, want.dx), relative_error(increment, want.dw));
}

// kernel_tests --fft-error: AlexNet-OWT conv2 at full width (64 -> 192, 27x27, 5x5, padding 2), batch 2 (minutes
// on the emulation, so not part of the family's checks).
int print_fft_error() {
    const Conv conv2{2, 64, 27, 27, 192, 5, 5, 2, 2};
    test_end_to_end("AlexNet-OWT conv2, transforms in double ", conv2, 2, 2e-6);
    dft_in_float = true;
    test_end_to_end("AlexNet-OWT conv2, transforms in float ", conv2, 2, 2e-5);
    dft_in_float = false;
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

HOSTTEST_FAMILY(convolution_fft) {
    expect(fft_size(31) == 32 && fft_size(29) == 30 && fft_size(11) == 12 && fft_size(13) == 14 &&
               fft_size(15) == 15 && fft_size(1) == 1,
           "fft sizes: the next 2^a 3^b 5^c 7^d (31 -> 32, 29 -> 30, 11 -> 12, 13 -> 14, 15 -> 15)");
    test_pad();
    test_product();
    test_crop();
    // odd shapes: non-square filters and images, padding 0 and larger than half the filter, C = 1, K = 1, odd tile
    // widths (Q/2+1 with Q odd), an output of one element, N in chunks that do not divide it
    const std::pair<Conv, int> shapes[] = {{Conv{3, 2, 7, 9, 3, 3, 3, 1, 1}, 2}, {Conv{1, 1, 5, 6, 1, 5, 3, 0, 1}, 1},
                                           {Conv{2, 3, 6, 11, 2, 3, 5, 2, 0}, 2}, {Conv{2, 1, 3, 3, 4, 3, 3, 0, 0}, 1},
                                           {Conv{1, 2, 4, 5, 2, 3, 3, 3, 2}, 1}, {Conv{5, 4, 8, 7, 3, 7, 7, 3, 3}, 2}};
    for (const auto& [g, chunk] : shapes) test_end_to_end("", g, chunk, 2e-6);
    // AlexNet-OWT conv2 scaled down in channels (64 -> 192 becomes 16 -> 24), same 27x27 images, 5x5 filters,
    // padding 2
    test_end_to_end("AlexNet-OWT conv2 /4, transforms in double ", Conv{3, 16, 27, 27, 24, 5, 5, 2, 2}, 2, 2e-6);
    dft_in_float = true;
    test_end_to_end("AlexNet-OWT conv2 /4, transforms in float ", Conv{3, 16, 27, 27, 24, 5, 5, 2, 2}, 2, 2e-5);
    dft_in_float = false;
}

} // namespace convolution_fft_test
