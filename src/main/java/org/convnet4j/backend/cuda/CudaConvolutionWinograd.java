package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.tensor.Tensor;

/**
 * Non-fused Winograd F(m x m, 3x3), m = 2 or 4, for 3x3 stride-1 convolutions with dilation 1 and any padding
 * ({@link #applies}): the transform kernels of kernels/convolution_winograd.cu around ONE strided-batched GEMM
 * over the T = (m+2)^2 transform points (16 or 36) from the {@link GemmProvider}, a chunk of B images at a time
 * (as many as fit {@link CudaConvolution#MAX_WORKSPACE_BYTES}). Tiles: TH x TW = ceil(OH/m) x ceil(OW/m) per
 * image (ceil(H/m) x ceil(W/m) for backward data), Q = B*TH*TW per chunk.
 *
 * <p>Forward: U [T, K, C] = G w G^T once, then per chunk V [T, C, Q] = B^T d B, M_t = U_t V_t (one GEMM,
 * batch T), y = A^T M A cropped, plus the bias. Backward data: the forward pass on dy with the filter turned
 * 180 degrees, C and K swapped (the GEMM takes U_t transposed) and padding 2 - p. Backward filter: V from x
 * and Z [T, K, Q] = A dY A^T from dy per chunk, S_t [K, C] (+)= Z_t V_t^T (the chunk's tiles are the GEMM's
 * K; chunks after the first accumulate with beta 1), then dW += G^T S G: dW accumulates. Deterministic for a
 * given chunk size. Float error against a float64 direct convolution: docs/convolution-algorithms.md.
 */
final class CudaConvolutionWinograd {
    /** Which of a convolution's three passes. */
    enum Pass { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    private final KernelLauncher launcher;
    private final GemmProvider gemm;
    private final Workspace workspace;
    private final int tile;
    private final int points;
    private final String prefix;

    /**
     * @param tile m, the output tile's side: 2 for F(2x2,3x3), 4 for F(4x4,3x3)
     */
    CudaConvolutionWinograd(CudaOpContext context, int tile) {
        if (tile != 2 && tile != 4) {
            throw new IllegalArgumentException("Winograd tile size " + tile + ": expected 2 (F(2x2,3x3)) or 4 "
                    + "(F(4x4,3x3))");
        }
        this.launcher = context.launcher();
        this.gemm = context.gemm();
        this.workspace = context.workspace();
        this.tile = tile;
        this.points = (tile + 2) * (tile + 2);
        this.prefix = "winograd" + tile + "_";
    }

    /** Whether Winograd F(m x m, 3x3) computes this convolution: a 3x3 filter, stride 1, dilation 1 (any groups). */
    static boolean applies(ConvGeometry g) {
        ConvSpec s = g.spec();
        return g.fh() == 3 && g.fw() == 3 && s.strideH() == 1 && s.strideW() == 1 && s.dilationH() == 1
                && s.dilationW() == 1;
    }

    /** Tiles per image: over the output (forward, backward filter) or over the input (backward data). */
    private long tilesPerImage(ConvGeometry g, Pass pass) {
        int rows = pass == Pass.BACKWARD_DATA ? g.h() : g.oh();
        int cols = pass == Pass.BACKWARD_DATA ? g.w() : g.ow();
        return KernelLauncher.ceilDiv(rows, tile) * KernelLauncher.ceilDiv(cols, tile);
    }

    /** The transformed data of one image, both sides of the GEMM: T * tiles * (C + K) floats. */
    private long bytesPerImage(ConvGeometry g, Pass pass) {
        return 4L * points * tilesPerImage(g, pass) * (g.c() + g.fn());
    }

    /**
     * Images per chunk: at most as many as fit under MAX_WORKSPACE_BYTES next to the filters (at least 1), and
     * balanced, ceil(N / ceil(N / most)), so the last chunk is not a small remainder.
     */
    private int chunk(ConvGeometry g, Pass pass) {
        long room = CudaConvolution.MAX_WORKSPACE_BYTES - filterBytes(g);
        long most = Math.max(1, Math.min(g.n(), room / bytesPerImage(g, pass)));
        return (int) KernelLauncher.ceilDiv(g.n(), KernelLauncher.ceilDiv(g.n(), most));
    }

    /** The transformed filters U, or the filter gradient's S: T * K * C/groups floats. */
    private long filterBytes(ConvGeometry g) {
        return 4L * points * g.fn() * g.groupChannels();
    }

    /**
     * The workspace one pass of this convolution takes, in bytes: the transformed filters (or S) and a chunk
     * of images' transformed data on both sides of the GEMM.
     */
    long workspaceBytes(ConvGeometry g, Pass pass) {
        requireApplies(g);
        return filterBytes(g) + bytesPerImage(g, pass) * chunk(g, pass);
    }

    private static void requireApplies(ConvGeometry g) {
        if (!applies(g)) {
            ConvSpec s = g.spec();
            throw new IllegalArgumentException("Winograd F(m x m, 3x3) needs a 3x3 filter, stride 1 and dilation 1; "
                    + "got " + g.fh() + "x" + g.fw() + ", stride " + s.strideH() + "x" + s.strideW() + ", dilation "
                    + s.dilationH() + "x" + s.dilationW());
        }
    }

    /** y = conv(x, w) + bias (bias may be null). */
    void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        ConvSpec s = g.spec();
        convolve(g, Pass.FORWARD, addressOf(x), addressOf(w), bias == null ? 0L : addressOf(bias), addressOf(y),
                g.c(), g.fn(), g.h(), g.w(), g.oh(), g.ow(), s.padH(), s.padW());
    }

    /** dx = the gradient with respect to the input: dy convolved with the turned, transposed filter. */
    void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        ConvSpec s = g.spec();
        convolve(g, Pass.BACKWARD_DATA, addressOf(dy), addressOf(w), 0L, addressOf(dx), g.fn(), g.c(), g.oh(),
                g.ow(), g.h(), g.w(), 2 - s.padH(), 2 - s.padW());
    }

    /**
     * out [N, outC, outH, outW] = the 3x3 convolution of in [N, inC, inH, inW] (padding padH x padW) with w, as
     * stored (forward) or turned and transposed (backward data), plus bias (0 = none). With groups, U is
     * [T, K, C/groups] and group j's blocks of U_t, V_t and M_t sit at (t*groups + j) times their size, so the T
     * products per point become one batch of T*groups products of the groups' slices.
     */
    private void convolve(ConvGeometry g, Pass pass, long in, long w, long bias, long out, int inC, int outC,
                          int inH, int inW, int outH, int outW, int padH, int padW) {
        boolean backward = pass == Pass.BACKWARD_DATA;
        int th = (int) KernelLauncher.ceilDiv(outH, tile);
        int tw = (int) KernelLauncher.ceilDiv(outW, tile);
        int chunk = chunk(g, pass);
        long u = workspace.address(workspaceBytes(g, pass));
        long v = u + filterBytes(g);
        long m = v + 4L * points * inC * th * tw * chunk;
        int groups = g.groups();
        int cg = g.groupChannels();
        launcher.launch(prefix + "filter_transform_f32", (long) g.fn() * cg, w, u, g.fn(), cg, backward ? 1 : 0);
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int q = images * th * tw;
            launcher.launch(prefix + "input_transform_f32", (long) inC * q, in + 4L * n0 * inC * inH * inW, v, images,
                    inC, inH, inW, padH, padW, th, tw);
            // per point t and group j: M_tj [outC/groups, Q] = U_tj [K/groups, C/groups] * V_tj [inC/groups, Q]
            // (forward), U_tj^T * V_tj (backward data)
            gemm.sgemmStridedBatched(backward, false, outC / groups, q, inC / groups, 1f, u, cg,
                    (long) g.groupFilters() * cg, v, q, (long) inC / groups * q, 0f, m, q, (long) outC / groups * q,
                    points * groups);
            launcher.launch(prefix + "output_transform_f32", (long) outC * q, m, bias,
                    out + 4L * n0 * outC * outH * outW, images, outC, outH, outW, th, tw);
        }
    }

    /** dw += the gradient of the convolution with respect to its filters (per point and group, as in convolve). */
    void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        ConvSpec sp = g.spec();
        int kg = g.groupFilters();
        int cg = g.groupChannels();
        int th = (int) KernelLauncher.ceilDiv(g.oh(), tile);
        int tw = (int) KernelLauncher.ceilDiv(g.ow(), tile);
        int chunk = chunk(g, Pass.BACKWARD_FILTER);
        long s = workspace.address(workspaceBytes(g, Pass.BACKWARD_FILTER));
        long v = s + filterBytes(g);
        long z = v + 4L * points * g.c() * th * tw * chunk;
        for (int n0 = 0; n0 < g.n(); n0 += chunk) {
            int images = Math.min(chunk, g.n() - n0);
            int q = images * th * tw;
            launcher.launch(prefix + "input_transform_f32", (long) g.c() * q, addressOf(x) + 4L * n0 * g.imageSize(),
                    v, images, g.c(), g.h(), g.w(), sp.padH(), sp.padW(), th, tw);
            launcher.launch(prefix + "grad_output_transform_f32", (long) g.fn() * q,
                    addressOf(dy) + 4L * n0 * g.fn() * g.p(), z, images, g.fn(), g.oh(), g.ow(), th, tw);
            // per point t and group j: S_tj [K/groups, C/groups] (+)= Z_tj [K/groups, Q] * V_tj^T [Q, C/groups]
            gemm.sgemmStridedBatched(false, true, kg, cg, q, 1f, z, q, (long) kg * q, v, q, (long) cg * q,
                    n0 == 0 ? 0f : 1f, s, cg, (long) kg * cg, points * g.groups());
        }
        launcher.launch(prefix + "filter_gradient_f32", (long) g.fn() * cg, s, addressOf(dw), g.fn(), cg);
    }
}
