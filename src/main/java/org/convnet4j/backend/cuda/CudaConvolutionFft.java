package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.tensor.Tensor;

/**
 * FFT convolution for stride 1, dilation 1 and filters of at least 3x3 ({@link #whyNot}): the kernels of
 * kernels/convolution_fft.cu around cuFFT's batched 2-D real transforms ({@link Cufft}), a chunk of B images at a
 * time (as many as fit {@link CudaConvolution#MAX_WORKSPACE_BYTES}).
 *
 * <p>Every plane (an image's channel, a filter's channel) is zero-padded into a P x Q tile, P = the smallest
 * 2^a 3^b 5^c 7^d at least H + max(2 padH, FH - 1) (Q likewise from W), large enough that no circular wrap reaches
 * a computed element; its R2C transform has F = P (Q/2+1) frequencies. x and w sit at the tile's origin, dy at
 * (-padH, -padW) wrapped. Per frequency f, over the channels:
 * <pre>
 *   forward          Y[n,k]  = sum_c X[n,c] conj(W[k,c])    y  = C2R(Y) / PQ read at (padH, padW) wrapped, + bias
 *   backward data    DX[n,c] = sum_k DY[n,k] W[k,c]         dx = C2R(DX) / PQ read at the origin
 *   backward filter  S[k,c] += sum_n conj(DY[n,k]) X[n,c]   dw += C2R(S) / PQ read at the origin (after all chunks)
 * </pre>
 * The product is our kernel (fft_product_f32, 32 frequencies of 8 x 32 outputs a block, operands staged in
 * shared memory), not cuBLAS's cgemm: the spectra stay in cuFFT's plane-major layout [planes, F] (a frequency's
 * matrix has stride F in both of its dimensions, which no BLAS takes; transposing them would cost two more passes
 * over them), and it runs with every GEMM provider and on the CPU emulation.
 *
 * <p>Workspace for every pass: 8 F (K C + B (C + K)) bytes of spectra (the filters' or S, and both sides of the
 * product for a chunk) + 4 P Q max(K C, B max(C, K)) bytes of real tiles (shared by the padded inputs and the
 * inverse transforms) + the largest work area of the pass's cuFFT plans, each region 256-byte aligned. Plans
 * (cufftPlanMany, R2C or C2R, one per (direction, P, Q, batch)) are made on first use, outside any graph
 * capture, and kept until {@link #close}; they run on the backend's stream with their work area in our workspace,
 * so nothing allocates at execution. Deterministic: the product sums in a fixed order, and cuFFT's guide (its
 * "Results reproducibility" section) gives bitwise-identical results for the same plan configuration, GPU
 * architecture and cuFFT version; FftConvolutionOpsTest checks two runs bit for bit on the GPU.
 */
final class CudaConvolutionFft implements AutoCloseable {
    private static final long ALIGN = 256;

    /** The tile of every plane: rows x cols, F = rows * (cols / 2 + 1) complex frequencies. */
    record Tiles(int rows, int cols) {
        long frequencies() {
            return (long) rows * (cols / 2 + 1);
        }

        long area() {
            return (long) rows * cols;
        }
    }

    /** The images per chunk and the largest cuFFT work area of the pass, for one (geometry, pass). */
    private record Layout(int chunk, long workBytes) {
    }

    private record Key(ConvGeometry geometry, ConvPass pass) {
    }

    private record PlanKey(boolean toFrequency, int rows, int cols, int batch) {
    }

    private final KernelLauncher launcher;
    private final Workspace workspace;
    private final Cufft cufft;
    private final long limit;
    private final Map<PlanKey, Cufft.Plan> plans = new HashMap<>();
    private final Map<Key, Layout> layouts = new HashMap<>();

    CudaConvolutionFft(CudaOpContext context, Cufft cufft) {
        this(context, cufft, CudaConvolution.MAX_WORKSPACE_BYTES);
    }

    /** limit: the workspace the chunks of images are sized under. */
    CudaConvolutionFft(CudaOpContext context, Cufft cufft, long limit) {
        this.launcher = context.launcher();
        this.workspace = context.workspace();
        this.cufft = cufft;
        this.limit = limit;
    }

    /** The smallest n' >= n whose only prime factors are 2, 3, 5 and 7 (sizes cuFFT runs fastest). */
    static int fftSize(int n) {
        for (int m = Math.max(1, n); ; m++) {
            int r = m;
            for (int p : new int[] {2, 3, 5, 7}) {
                while (r % p == 0) {
                    r /= p;
                }
            }
            if (r == 1) {
                return m;
            }
        }
    }

    /** P x Q: fftSize(H + max(2 padH, FH - 1)) x fftSize(W + max(2 padW, FW - 1)). */
    static Tiles tiles(ConvGeometry g) {
        ConvSpec s = g.spec();
        return new Tiles(fftSize(g.h() + Math.max(2 * s.padH(), g.fh() - 1)),
                fftSize(g.w() + Math.max(2 * s.padW(), g.fw() - 1)));
    }

    /** Why the FFT convolution cannot compute g (stride, dilation, filter size, workspace), or null. */
    String whyNot(ConvGeometry g) {
        ConvSpec s = g.spec();
        if (s.strideH() != 1 || s.strideW() != 1 || s.dilationH() != 1 || s.dilationW() != 1) {
            return "needs stride 1 and dilation 1, got stride " + s.strideH() + "x" + s.strideW() + ", dilation "
                    + s.dilationH() + "x" + s.dilationW();
        }
        if (g.fh() < 3 || g.fw() < 3) {
            return "filter " + g.fh() + "x" + g.fw() + ", needs at least 3x3";
        }
        if (dataBytes(g, ConvPass.FORWARD, 1) > limit) {
            Tiles t = tiles(g);
            return String.format(Locale.ROOT, "%dx%d tiles need %.0f MiB for one image, over the %.0f MiB limit",
                    t.rows(), t.cols(), dataBytes(g, ConvPass.FORWARD, 1) / 1048576.0, limit / 1048576.0);
        }
        return null;
    }

    /** The workspace pass of g takes: spectra, real tiles and the cuFFT work area (makes the plans). */
    long workspaceBytes(ConvGeometry g, ConvPass pass) {
        requireApplies(g);
        Layout l = layout(g, pass);
        return dataBytes(g, pass, l.chunk()) + l.workBytes();
    }

    private void requireApplies(ConvGeometry g) {
        String why = whyNot(g);
        if (why != null) {
            throw new IllegalArgumentException("FFT convolution of " + CudaConvolution.describe(g) + ": " + why);
        }
    }

    private static long aligned(long bytes) {
        return KernelLauncher.ceilDiv(bytes, ALIGN) * ALIGN;
    }

    /** Channels on the input side of the product for pass: K for backward data (dy), C otherwise (x). */
    private static int inChannels(ConvGeometry g, ConvPass pass) {
        return pass == ConvPass.BACKWARD_DATA ? g.fn() : g.c();
    }

    /** The four regions of a chunk of b images: filter spectra, input spectra, output spectra, real tiles. */
    private static long[] regionBytes(ConvGeometry g, ConvPass pass, int b) {
        Tiles t = tiles(g);
        int in = inChannels(g, pass);
        int out = g.c() + g.fn() - in;
        long kc = (long) g.fn() * g.c();
        long f = t.frequencies();
        return new long[] {aligned(8 * f * kc), aligned(8 * f * b * in), aligned(8 * f * b * out),
                aligned(4 * t.area() * Math.max(kc, (long) b * Math.max(in, out)))};
    }

    private static long dataBytes(ConvGeometry g, ConvPass pass, int b) {
        long sum = 0;
        for (long r : regionBytes(g, pass, b)) {
            sum += r;
        }
        return sum;
    }

    /** ceil(N / ceil(N / most)): chunks of balanced size, at most most images. */
    private static int balanced(int n, long most) {
        return (int) KernelLauncher.ceilDiv(n, KernelLauncher.ceilDiv(n, most));
    }

    private Layout layout(ConvGeometry g, ConvPass pass) {
        Key key = new Key(g, pass);
        Layout l = layouts.get(key);
        if (l == null) {
            l = fit(g, pass);
            layouts.put(key, l);
        }
        return l;
    }

    /**
     * The largest balanced chunk whose data and work area fit the limit (at least one image): the data alone
     * first, then halved while the plans' work area does not fit.
     */
    private Layout fit(ConvGeometry g, ConvPass pass) {
        int most = g.n();
        while (most > 1 && dataBytes(g, pass, most) > limit) {
            most--;
        }
        while (true) {
            int chunk = balanced(g.n(), most);
            long work = 0;
            for (Cufft.Plan p : plansOf(g, pass, chunk)) {
                work = Math.max(work, p.workBytes());
            }
            if (chunk == 1 || dataBytes(g, pass, chunk) + work <= limit) {
                return new Layout(chunk, work);
            }
            most = chunk / 2;
        }
    }

    /** Every plan a pass with chunks of chunk images uses (the last chunk may be smaller). */
    private List<Cufft.Plan> plansOf(ConvGeometry g, ConvPass pass, int chunk) {
        Tiles t = tiles(g);
        int in = inChannels(g, pass);
        int out = g.c() + g.fn() - in;
        int kc = g.fn() * g.c();
        List<Cufft.Plan> used = new ArrayList<>();
        for (int b : new int[] {chunk, g.n() - (int) (KernelLauncher.ceilDiv(g.n(), chunk) - 1) * chunk}) {
            if (pass == ConvPass.BACKWARD_FILTER) {
                used.add(plan(true, t, b * g.c()));
                used.add(plan(true, t, b * g.fn()));
            } else {
                used.add(plan(true, t, b * in));
                used.add(plan(false, t, b * out));
            }
        }
        used.add(plan(pass != ConvPass.BACKWARD_FILTER, t, kc));
        return used;
    }

    private Cufft.Plan plan(boolean toFrequency, Tiles t, int batch) {
        PlanKey key = new PlanKey(toFrequency, t.rows(), t.cols(), batch);
        Cufft.Plan p = plans.get(key);
        if (p == null) {
            launcher.phase().refuse("making a cuFFT plan (" + key + ")");
            p = cufft.plan(toFrequency, t.rows(), t.cols(), batch);
            plans.put(key, p);
        }
        return p;
    }

    /** Where a pass's regions lie in the workspace: filter spectra, input spectra, output spectra, real, work. */
    private record Regions(long filters, long in, long out, long real, long work) {
    }

    private Regions regions(ConvGeometry g, ConvPass pass) {
        long[] r = regionBytes(g, pass, layout(g, pass).chunk());
        long base = workspace.address(workspaceBytes(g, pass));
        return new Regions(base, base + r[0], base + r[0] + r[1], base + r[0] + r[1] + r[2],
                base + r[0] + r[1] + r[2] + r[3]);
    }

    /** R2C (toFrequency) or C2R of batch tiles, from in to out, through the graph phase. */
    private void transform(boolean toFrequency, Tiles t, int batch, long in, long out, long work) {
        Cufft.Plan p = plan(toFrequency, t, batch);
        if (launcher.phase().issue(toFrequency ? "cufft_r2c" : "cufft_c2r", t.rows(), t.cols(), batch)) {
            cufft.execute(p, in, out, work);
        }
    }

    /** tiles [planes, P, Q] = src [planes, rows, cols] placed at (-shiftH, -shiftW) wrapped, zeros elsewhere. */
    private void pad(Tiles t, long src, long tiles, long planes, int rows, int cols, int shiftH, int shiftW) {
        launcher.launch("fft_pad_f32", planes * t.area(), src, tiles, planes, rows, cols, t.rows(), t.cols(), shiftH,
                shiftW);
    }

    /** out [planes, rows, cols] (+)= the tiles read at (-shiftH, -shiftW) wrapped, / PQ, + bias (0 = none). */
    private void crop(Tiles t, long tiles, long bias, long out, long planes, int channels, int rows, int cols,
                      int shiftH, int shiftW, boolean accumulate) {
        launcher.launch("fft_crop_f32", planes * rows * cols, tiles, bias, out, planes, channels, rows, cols, t.rows(),
                t.cols(), shiftH, shiftW, 1f / t.area(), accumulate ? 1 : 0);
    }

    /**
     * out(i, j) (+)= sum_l opA(a(i, l)) opB(b(j, l)) at every frequency; strides in planes (see the kernel). Blocks
     * of 256 threads take 32 frequencies of 8 x 32 outputs: a grid of (ceil(F/32), ceil(J/32), ceil(I/8)).
     */
    private void product(Tiles t, long a, long b, long out, int rowsI, int colsJ, int sumL, int aI, int aL, int bJ,
                         int bL, int oI, int oJ, boolean conjA, boolean conjB, boolean accumulate) {
        launcher.launchGrid("fft_product_f32", (int) KernelLauncher.ceilDiv(t.frequencies(), 32),
                (int) KernelLauncher.ceilDiv(colsJ, 32), (int) KernelLauncher.ceilDiv(rowsI, 8), KernelLauncher.BLOCK,
                0, a, b, out, rowsI, colsJ, sumL, (int) t.frequencies(), aI, aL, bJ, bL, oI, oJ, conjA ? 1 : 0,
                conjB ? 1 : 0, accumulate ? 1 : 0);
    }

    /** W [K*C, F] = R2C(w at the tiles' origin) into r.filters. */
    private void filterSpectra(ConvGeometry g, Tiles t, Regions r, Tensor w) {
        long kc = (long) g.fn() * g.c();
        pad(t, addressOf(w), r.real(), kc, g.fh(), g.fw(), 0, 0);
        transform(true, t, (int) kc, r.real(), r.filters(), r.work());
    }

    /** y = conv(x, w) + bias (bias may be null). */
    void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        requireApplies(g);
        Tiles t = tiles(g);
        ConvSpec s = g.spec();
        Regions r = regions(g, ConvPass.FORWARD);
        int chunk = layout(g, ConvPass.FORWARD).chunk();
        int c = g.c();
        int k = g.fn();
        filterSpectra(g, t, r, w);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int b = Math.min(chunk, g.n() - n0);
            pad(t, addressOf(x) + 4L * n0 * g.imageSize(), r.real(), (long) b * c, g.h(), g.w(), 0, 0);
            transform(true, t, b * c, r.real(), r.in(), r.work());
            // Y[n,k] = sum_c X[n,c] conj(W[k,c])
            product(t, r.in(), r.filters(), r.out(), b, k, c, c, 1, c, 1, k, 1, false, true, false);
            transform(false, t, b * k, r.out(), r.real(), r.work());
            crop(t, r.real(), bias == null ? 0L : addressOf(bias), addressOf(y) + 4L * n0 * k * g.p(), (long) b * k, k,
                    g.oh(), g.ow(), s.padH(), s.padW(), false);
        }
    }

    /** dx = the gradient with respect to the input (overwritten). */
    void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        requireApplies(g);
        Tiles t = tiles(g);
        ConvSpec s = g.spec();
        Regions r = regions(g, ConvPass.BACKWARD_DATA);
        int chunk = layout(g, ConvPass.BACKWARD_DATA).chunk();
        int c = g.c();
        int k = g.fn();
        filterSpectra(g, t, r, w);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int b = Math.min(chunk, g.n() - n0);
            pad(t, addressOf(dy) + 4L * n0 * k * g.p(), r.real(), (long) b * k, g.oh(), g.ow(), s.padH(), s.padW());
            transform(true, t, b * k, r.real(), r.in(), r.work());
            // DX[n,c] = sum_k DY[n,k] W[k,c]
            product(t, r.in(), r.filters(), r.out(), b, c, k, k, 1, 1, c, c, 1, false, false, false);
            transform(false, t, b * c, r.out(), r.real(), r.work());
            crop(t, r.real(), 0L, addressOf(dx) + 4L * n0 * g.imageSize(), (long) b * c, c, g.h(), g.w(), 0, 0, false);
        }
    }

    /** dw += the filter gradient (accumulates, as the Backend contract says). */
    void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        requireApplies(g);
        Tiles t = tiles(g);
        ConvSpec s = g.spec();
        Regions r = regions(g, ConvPass.BACKWARD_FILTER);
        int chunk = layout(g, ConvPass.BACKWARD_FILTER).chunk();
        int c = g.c();
        int k = g.fn();
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int b = Math.min(chunk, g.n() - n0);
            pad(t, addressOf(x) + 4L * n0 * g.imageSize(), r.real(), (long) b * c, g.h(), g.w(), 0, 0);
            transform(true, t, b * c, r.real(), r.in(), r.work());
            pad(t, addressOf(dy) + 4L * n0 * k * g.p(), r.real(), (long) b * k, g.oh(), g.ow(), s.padH(), s.padW());
            transform(true, t, b * k, r.real(), r.out(), r.work());
            // S[k,c] (+)= sum_n conj(DY[n,k]) X[n,c]
            product(t, r.out(), r.in(), r.filters(), k, c, b, 1, k, 1, c, c, 1, true, false, n0 > 0);
        }
        transform(false, t, k * c, r.filters(), r.real(), r.work());
        crop(t, r.real(), 0L, addressOf(dw), (long) k * c, c, g.fh(), g.fw(), 0, 0, true);
    }

    /** Destroys every plan made. */
    @Override
    public void close() {
        plans.values().forEach(cufft::destroy);
        plans.clear();
        layouts.clear();
    }
}
