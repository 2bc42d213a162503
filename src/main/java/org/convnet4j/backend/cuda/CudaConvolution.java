package org.convnet4j.backend.cuda;

import static org.convnet4j.backend.cuda.CudaTensor.addressOf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.ConvolutionOps;
import org.convnet4j.tensor.Tensor;

/**
 * The convolution family on the GPU: a registry of {@link ConvAlgorithm}s ({@link Im2colGemm}, the general
 * one, first; Winograd F(2x2,3x3) and F(4x4,3x3) for 3x3 stride-1 layers, {@link WinogradConvAlgorithm}; FFT
 * through cuFFT for stride-1 filters of 3x3 and larger, {@link FftConvAlgorithm}) and, per pass, the one {@link ConvAlgorithmFinder} chooses: the fastest deterministic applicable
 * one ({@value ConvAlgorithms#AUTO}) or the one asked for ({@value ConvAlgorithms#PROPERTY}, or
 * {@link #request}). Every choice is recorded for {@link #used()}. A layer's two backward passes go through
 * {@link #backward}, which lets im2col copy dy to its GEMM layout once for both. Grouped convolutions go only
 * to algorithms that declare {@link ConvAlgorithm#supportsGroups} (im2col and Winograd), see
 * {@link ConvAlgorithm#whyNotFor}.
 */
final class CudaConvolution implements ConvolutionOps, AutoCloseable {
    /** The workspace bound: im2col sizes its chunks of images under it, auto skips algorithms over it. */
    static final long MAX_WORKSPACE_BYTES = 256L << 20;

    private final Im2colGemm im2col;
    private final FftConvAlgorithm fft;
    private final List<ConvAlgorithm> registry;
    private final ConvAlgorithmFinder finder;
    private final Workspace workspace;
    private final DeviceOps device;
    private final String deviceName;
    private final Map<ConvAlgorithmFinder.Key, ConvAlgorithmFinder.Choice> used = new LinkedHashMap<>();
    private String requested;

    /** cufft: cuFFT for the fft algorithm, or why it is missing (then fft declines every convolution). */
    CudaConvolution(CudaOpContext context, ConvAlgorithmFinder finder, String requested, Cufft.Binding cufft) {
        this.im2col = new Im2colGemm(context);
        this.fft = new FftConvAlgorithm(context, cufft);
        this.registry = List.of(im2col, new WinogradConvAlgorithm(context, 2), new WinogradConvAlgorithm(context, 4),
                fft);
        this.finder = finder;
        this.workspace = context.workspace();
        this.device = context.device();
        this.deviceName = device.describe();
        request(requested);
    }

    /** The finder the backend uses: the process-wide cache, the device's clock, {@link #MAX_WORKSPACE_BYTES}. */
    static ConvAlgorithmFinder processFinder(DeviceOps device) {
        return new ConvAlgorithmFinder(ConvAlgorithmFinder.PROCESS_CACHE, work -> {
            device.synchronize();
            long start = System.nanoTime();
            work.run();
            device.synchronize();
            return (System.nanoTime() - start) / 1e6;
        }, MAX_WORKSPACE_BYTES);
    }

    /** From now on run name ({@value ConvAlgorithms#AUTO} or an algorithm's name) wherever it applies. */
    void request(String name) {
        this.requested = ConvAlgorithms.parse(name, "convolution algorithm");
    }

    /** Why the named algorithm cannot run pass of g, or null when it can. */
    String whyNot(String name, ConvGeometry g, ConvPass pass) {
        String n = ConvAlgorithms.parse(name, "convolution algorithm");
        return n.equals(ConvAlgorithms.AUTO) ? null : ConvAlgorithm.whyNotFor(registry.stream()
                .filter(a -> a.name().equals(n)).findFirst().orElseThrow(), g, pass);
    }

    /** The registry's names, in order. */
    List<String> names() {
        return registry.stream().map(ConvAlgorithm::name).toList();
    }

    /** One line per (geometry, pass) run so far, in first-use order: shapes, pass, algorithm, why. */
    List<String> used() {
        List<String> lines = new ArrayList<>();
        used.forEach((k, c) -> lines.add(describe(k.geometry()) + ", " + k.pass().label() + ": " + c.algorithm()
                + " (" + c.why() + ")"));
        return lines;
    }

    /** "x 128x3x227x227, w 96x3x11x11, stride 4x4, pad 0x0" (and the dilation and groups when not 1). */
    static String describe(ConvGeometry g) {
        ConvSpec s = g.spec();
        return "x " + g.n() + "x" + g.c() + "x" + g.h() + "x" + g.w() + ", w " + g.fn() + "x" + g.groupChannels() + "x"
                + g.fh() + "x" + g.fw() + ", stride " + s.strideH() + "x" + s.strideW() + ", pad " + s.padH() + "x"
                + s.padW()
                + (s.dilationH() == 1 && s.dilationW() == 1 ? "" : ", dilation " + s.dilationH() + "x" + s.dilationW())
                + (s.groups() == 1 ? "" : ", groups " + s.groups());
    }

    private ConvAlgorithm choose(ConvGeometry g, ConvPass pass, Consumer<ConvAlgorithm> run) {
        ConvAlgorithmFinder.Key key = new ConvAlgorithmFinder.Key(g, pass, deviceName);
        ConvAlgorithmFinder.Choice choice = finder.choose(key, registry, requested, run);
        used.put(key, choice); // the latest choice, in first-use order
        return registry.stream().filter(a -> a.name().equals(choice.algorithm())).findFirst().orElseThrow();
    }

    /** y = conv(x, w) + bias (bias may be null). */
    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        choose(g, ConvPass.FORWARD, a -> a.forward(g, x, w, bias, y)).forward(g, x, w, bias, y);
    }

    /** dx = the gradient of the convolution with respect to its input. */
    @Override
    public void conv2dBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        backward(g, null, dy, w, dx, null, null);
    }

    /** dw += the filter gradient, dbias += the sums of dy per channel (dbias may be null). */
    @Override
    public void conv2dBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        backward(g, x, dy, null, null, dw, dbias);
    }

    /**
     * The filter gradient when dw is not null, then the data gradient when dx is not null; when im2col runs
     * both, one pass over dy's chunks serves them.
     */
    void backward(ConvGeometry g, Tensor x, Tensor dy, Tensor w, Tensor dx, Tensor dw, Tensor dbias) {
        ConvAlgorithm filter = dw == null ? null
                : choose(g, ConvPass.BACKWARD_FILTER, a -> filterTrial(g, a, x, dy, dw, dbias));
        ConvAlgorithm data = dx == null ? null : choose(g, ConvPass.BACKWARD_DATA, a -> a.backwardData(g, dy, w, dx));
        if ((filter == null || filter == im2col) && (data == null || data == im2col)) {
            im2col.backward(g, x, dy, w, dx, dw, dbias);
            return;
        }
        if (filter != null) {
            filter.backwardFilter(g, x, dy, dw, dbias);
        }
        if (data != null) {
            data.backwardData(g, dy, w, dx);
        }
    }

    /**
     * A run of the filter gradient for the find step that leaves dw and dbias as they were (they accumulate):
     * saved before and restored after, into workspace placed after the largest workspace any candidate takes, in
     * the same block, which the candidates then find big enough and do not move.
     */
    private void filterTrial(ConvGeometry g, ConvAlgorithm a, Tensor x, Tensor dy, Tensor dw, Tensor dbias) {
        long most = registry.stream().filter(r -> r.applies(g, ConvPass.BACKWARD_FILTER))
                .mapToLong(r -> r.workspaceBytes(g, ConvPass.BACKWARD_FILTER)).max().orElse(0);
        long savedAt = KernelLauncher.ceilDiv(most, 256) * 256;
        long dwBytes = 4L * dw.size();
        long saved = workspace.address(savedAt + dwBytes + 4L * g.fn()) + savedAt;
        device.copy(addressOf(dw), saved, dwBytes);
        if (dbias != null) {
            device.copy(addressOf(dbias), saved + dwBytes, 4L * g.fn());
        }
        a.backwardFilter(g, x, dy, dw, dbias);
        device.copy(saved, addressOf(dw), dwBytes);
        if (dbias != null) {
            device.copy(saved + dwBytes, addressOf(dbias), 4L * g.fn());
        }
    }

    /** Frees what the algorithms hold beyond the workspace (cuFFT's plans). */
    @Override
    public void close() {
        fft.close();
    }
}
