package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;

import org.convnet4j.backend.ConvAlgorithms;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvPass;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * CudaConvolutionFft and FftConvAlgorithm on the host fakes (no GPU): which convolutions they take and why not,
 * the tile sizes and the workspace, and their launches, each checked against the kernel signatures of
 * kernels/*.cu and the live allocations, and the cuFFT calls against the buffer sizes their plans need (the fake
 * cuFFT checks input, output and work area): only kernels of convolution_fft.cu and cuFFT executions, in the
 * order of the class's javadoc, plans made once and never during a capture. Values are checked on the CPU
 * emulation (kernels/hosttest/convolution_fft_test.cpp) and on a GPU (native-tests FftConvolutionOpsTest).
 */
class CudaConvolutionFftTest {
    private final HostFakes.Rig rig = HostFakes.Rig.create();
    private final HostFakes.Fft cufft = rig.fft();
    private final CudaOpContext context = rig.backend().opContext();
    private final CudaConvolutionFft fft = new CudaConvolutionFft(context, cufft);

    private static ConvGeometry geometry(int n, int c, int h, int w, int k, int fh, int fw, ConvSpec spec) {
        return ConvGeometry.of("test", Shape.of(n, c, h, w), Shape.of(k, c, fh, fw), spec);
    }

    /** AlexNet conv2: 64 -> 192 on 27x27, 5x5, padding 2. */
    private static ConvGeometry conv2(int batch) {
        return geometry(batch, 64, 27, 27, 192, 5, 5, ConvSpec.of(1, 2));
    }

    private Tensor t(Shape shape) {
        return rig.backend().allocate(shape);
    }

    @Test
    void tilesAreTheNextSizeOfSmallPrimesThatAvoidsWrapping() {
        assertEquals(32, CudaConvolutionFft.fftSize(31));
        assertEquals(30, CudaConvolutionFft.fftSize(29));
        assertEquals(15, CudaConvolutionFft.fftSize(15));
        assertEquals(18, CudaConvolutionFft.fftSize(17)); // 17 is prime, 18 = 2 * 3^2
        assertEquals(24, CudaConvolutionFft.fftSize(23)); // 23 prime, 24 = 2^3 * 3
        assertEquals(new CudaConvolutionFft.Tiles(32, 32), CudaConvolutionFft.tiles(conv2(128)));
        // AlexNet conv3-5 (13x13, 3x3, pad 1): 13 + 2 = 15 = 3 * 5
        assertEquals(new CudaConvolutionFft.Tiles(15, 15),
                CudaConvolutionFft.tiles(geometry(1, 256, 13, 13, 384, 3, 3, ConvSpec.of(1, 1))));
        // no padding: H + FH - 1 (backward data's full convolution) decides; 7x7 on 8x12 -> 14 x 18
        assertEquals(new CudaConvolutionFft.Tiles(14, 18),
                CudaConvolutionFft.tiles(geometry(1, 1, 8, 12, 1, 7, 7, ConvSpec.of(1, 0))));
        assertEquals(544, CudaConvolutionFft.tiles(conv2(1)).frequencies(), "32 * (32/2 + 1)");
    }

    @Test
    void declinesWhatItDoesNotComputeWithTheReason() {
        assertNull(fft.whyNot(conv2(128)));
        assertNull(fft.whyNot(geometry(2, 3, 9, 9, 4, 3, 3, ConvSpec.of(1, 0))));
        assertNull(fft.whyNot(geometry(2, 3, 9, 9, 4, 3, 5, new ConvSpec(1, 1, 1, 2, 1, 1, OutputRounding.EXACT))));
        assertEquals("needs stride 1 and dilation 1, got stride 4x4, dilation 1x1",
                fft.whyNot(geometry(1, 3, 227, 227, 96, 11, 11, ConvSpec.of(4, 0))));
        assertEquals("needs stride 1 and dilation 1, got stride 1x1, dilation 2x2",
                fft.whyNot(geometry(1, 3, 9, 9, 4, 3, 3, ConvSpec.of(1, 2).withDilation(2, 2))));
        assertEquals("filter 1x1, needs at least 3x3", fft.whyNot(geometry(1, 3, 9, 9, 4, 1, 1, ConvSpec.of(1, 0))));
        assertEquals("filter 3x2, needs at least 3x3", fft.whyNot(geometry(1, 3, 9, 9, 4, 3, 2,
                new ConvSpec(1, 1, 1, 0, 1, 1, OutputRounding.EXACT))));
        // one image's spectra and tiles over a 1 MiB limit
        CudaConvolutionFft small = new CudaConvolutionFft(context, cufft, 1 << 20);
        String why = small.whyNot(conv2(1));
        assertTrue(why.startsWith("32x32 tiles need ") && why.endsWith(" MiB for one image, over the 1 MiB limit"),
                why);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fft.forward(geometry(1, 3, 9, 9, 4, 1, 1, ConvSpec.of(1, 0)), t(Shape.of(1, 3, 9, 9)),
                        t(Shape.of(4, 3, 1, 1)), null, t(Shape.of(1, 4, 9, 9))));
        assertTrue(e.getMessage().contains("w 4x3x1x1") && e.getMessage().endsWith("needs at least 3x3"),
                e.getMessage());
        assertTrue(rig.runner().launches.isEmpty() && cufft.calls.isEmpty(), "nothing launched or planned");
    }

    @Test
    void withoutCufftTheRegistryNeverOffersFft() {
        FftConvAlgorithm missing = new FftConvAlgorithm(context,
                Cufft.Binding.missing("cuFFT (org.bytedeco cuda) needs libcufft.so.12: libcufft.so.12 not found"));
        assertEquals("cuFFT is not available: cuFFT (org.bytedeco cuda) needs libcufft.so.12: libcufft.so.12 not found",
                missing.whyNot(conv2(128), ConvPass.FORWARD));
        ConvAlgorithmFinder finder = new ConvAlgorithmFinder(new HashMap<>(), work -> 1.0,
                CudaConvolution.MAX_WORKSPACE_BYTES);
        CudaConvolution convolution = new CudaConvolution(context, finder, "fft",
                Cufft.Binding.missing("libcufft.so.12 not found"));
        ConvGeometry g = geometry(2, 3, 9, 9, 4, 5, 5, ConvSpec.of(1, 2));
        convolution.conv2dForward(g, t(Shape.of(2, 3, 9, 9)), t(Shape.of(4, 3, 5, 5)), null, t(g.outputShape()));
        assertEquals(List.of("x 2x3x9x9, w 4x3x5x5, stride 1x1, pad 2x2, forward: im2col (forced fft does not apply "
                + "(cuFFT is not available: libcufft.so.12 not found))"), convolution.used());
        assertTrue(rig.runner().kernelNames().stream().noneMatch(k -> k.startsWith("fft_")), "no fft kernel");
    }

    @Test
    void workspaceIsSpectraPlusRealTilesPlusTheWorkAreaAndRunsInChunks() {
        // AlexNet conv2 at batch 128: F = 544; filters 8 F K C = 53.5 MB; per image 8 F (C + K) = 1.1 MB spectra;
        // real tiles 4 * 1024 * max(K C, B K); 256 MiB hold 113 images: two chunks of 64.
        ConvGeometry g = conv2(128);
        long f = 544;
        long data = 8 * f * 192 * 64 + 8 * f * 64 * (64 + 192) + 4L * 1024 * Math.max(192 * 64, 64 * 192);
        long work = 8L * (64 * 192) * f; // the fake's work area of the largest plan (batch 64 * 192 = K * C)
        for (ConvPass pass : ConvPass.values()) {
            assertEquals(data + work, fft.workspaceBytes(g, pass), pass.toString());
            assertTrue(fft.workspaceBytes(g, pass) <= CudaConvolution.MAX_WORKSPACE_BYTES, pass.toString());
        }
        int from = rig.runner().launches.size();
        fft.forward(g, t(Shape.of(128, 64, 27, 27)), t(Shape.of(192, 64, 5, 5)), null, t(g.outputShape()));
        assertEquals(2, Collections.frequency(kernelsSince(from), "fft_crop_f32"), "two chunks of 64");
        // a smaller limit: smaller chunks (balanced: 128 in chunks of at most 20 -> 7 chunks of 19 or less)
        CudaConvolutionFft tight = new CudaConvolutionFft(context, cufft, 160L << 20);
        from = rig.runner().launches.size();
        tight.forward(g, t(Shape.of(128, 64, 27, 27)), t(Shape.of(192, 64, 5, 5)), null, t(g.outputShape()));
        int chunks = Collections.frequency(kernelsSince(from), "fft_crop_f32");
        assertTrue(chunks > 2, chunks + " chunks");
        assertTrue(tight.workspaceBytes(g, ConvPass.FORWARD) <= 160L << 20);
    }

    /** AlexNet conv2 at batch 3 runs in chunks of one image under a 120 MiB limit; the others in one chunk. */
    @Test
    void everyPassLaunchesItsKernelsAndTransformsInOrderWithPlansMadeOnce() {
        CudaConvolutionFft fft = new CudaConvolutionFft(context, cufft, 120L << 20);
        List<String> forward = List.of("fft_pad_f32", "R2C", "fft_product_f32", "C2R", "fft_crop_f32");
        List<String> filter = List.of("fft_pad_f32", "R2C", "fft_pad_f32", "R2C", "fft_product_f32");
        ConvGeometry first = conv2(3);
        for (ConvGeometry g : List.of(first, geometry(3, 2, 7, 9, 3, 3, 3, ConvSpec.of(1, 1)),
                geometry(2, 3, 6, 11, 2, 3, 5, new ConvSpec(1, 1, 2, 0, 1, 1, OutputRounding.EXACT)),
                geometry(10, 16, 56, 56, 16, 7, 7, ConvSpec.of(1, 3)))) {
            Tensor x = t(Shape.of(g.n(), g.c(), g.h(), g.w()));
            Tensor w = t(Shape.of(g.fn(), g.c(), g.fh(), g.fw()));
            Tensor y = t(g.outputShape());
            int from = rig.runner().launches.size();
            int calls = cufft.calls.size();
            fft.forward(g, x, w, t(Shape.of(g.fn())), y);
            int chunks = Collections.frequency(kernelsSince(from), "fft_crop_f32");
            assertEquals(sequence(List.of("fft_pad_f32", "R2C"), forward, chunks, List.of()), merged(from, calls),
                    "forward " + g);
            from = rig.runner().launches.size();
            calls = cufft.calls.size();
            fft.backwardData(g, y, w, x);
            assertEquals(sequence(List.of("fft_pad_f32", "R2C"), forward, chunks, List.of()), merged(from, calls),
                    "backward data " + g);
            from = rig.runner().launches.size();
            calls = cufft.calls.size();
            fft.backwardFilter(g, x, y, t(w.shape()));
            assertEquals(sequence(List.of(), filter, chunks, List.of("C2R", "fft_crop_f32")), merged(from, calls),
                    "backward filter " + g);
            // the filters' transforms run K*C planes, the images' B*C or B*K
            List<String> transforms = cufft.executionsSince(0);
            assertTrue(transforms.contains("R2C " + tiles(g) + " x" + g.fn() * g.c()), transforms.toString());
            assertEquals(g == first ? 3 : 1, chunks, g.toString());
        }
        long plans = cufft.calls.stream().filter(c -> c.call().equals("plan")).count();
        rig.runner().launches.clear();
        ConvGeometry g = conv2(3);
        fft.forward(g, t(Shape.of(3, 64, 27, 27)), t(Shape.of(192, 64, 5, 5)), null, t(g.outputShape()));
        assertEquals(plans, cufft.calls.stream().filter(c -> c.call().equals("plan")).count(), "no new plan");
        fft.close();
        assertEquals(plans, cufft.calls.stream().filter(c -> c.call().equals("destroy")).count(), "every plan freed");
    }

    @Test
    void aCaptureMakesNoPlanAndAReplaySkipsTheTransforms() {
        ConvGeometry g = conv2(2);
        Tensor x = t(Shape.of(2, 64, 27, 27));
        Tensor w = t(Shape.of(192, 64, 5, 5));
        Tensor y = t(g.outputShape());
        Tensor x3 = t(Shape.of(3, 64, 27, 27));
        Tensor y3 = t(conv2(3).outputShape());
        fft.forward(g, x, w, null, y); // warm-up: plans and workspace
        GraphPhase phase = context.launcher().phase();
        int calls = cufft.calls.size();
        phase.enter(GraphPhase.Mode.CAPTURING);
        rig.device().beginCapture();
        fft.forward(g, x, w, null, y);
        List<HostFakes.FftCall> captured = cufft.calls.subList(calls, cufft.calls.size());
        assertEquals(3, captured.size(), "R2C of the filters, of the images, C2R");
        assertTrue(captured.stream().allMatch(c -> c.call().equals("execute") && c.captured()), captured.toString());
        ConvGeometry other = conv2(3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> fft.forward(other, x3, w, null, y3));
        assertTrue(e.getMessage().startsWith("making a cuFFT plan"), e.getMessage());
        rig.device().endCapture();
        phase.enter(GraphPhase.Mode.REPLAYING);
        calls = cufft.calls.size();
        int launches = rig.runner().launches.size();
        fft.forward(g, x, w, null, y);
        assertEquals(calls, cufft.calls.size(), "nothing executed while a graph replays the step");
        assertEquals(launches, rig.runner().launches.size());
        phase.enter(GraphPhase.Mode.EAGER);
    }

    @Test
    void theBackendForcesFftWhereItAppliesAndAutoTimesIt() {
        CudaBackend b = rig.backend();
        b.requestConvAlgorithm("fft");
        Tensor x = b.allocate(Shape.of(2, 3, 9, 9));
        b.conv2dForward(x, b.allocate(Shape.of(4, 3, 5, 5)), null, ConvSpec.of(1, 2), b.allocate(Shape.of(2, 4, 9, 9)));
        b.conv2dForward(x, b.allocate(Shape.of(4, 3, 1, 1)), null, ConvSpec.of(1, 0), b.allocate(Shape.of(2, 4, 9, 9)));
        assertEquals(List.of("x 2x3x9x9, w 4x3x5x5, stride 1x1, pad 2x2, forward: fft (forced)",
                "x 2x3x9x9, w 4x3x1x1, stride 1x1, pad 0x0, forward: im2col (forced fft does not apply (filter 1x1, "
                        + "needs at least 3x3))"), b.convAlgorithmsUsed());
        assertTrue(ConvAlgorithms.names().endsWith(", fft"), ConvAlgorithms.names());
        b.requestConvAlgorithm(ConvAlgorithms.AUTO);
    }

    private String tiles(ConvGeometry g) {
        CudaConvolutionFft.Tiles tl = CudaConvolutionFft.tiles(g);
        return tl.rows() + "x" + tl.cols();
    }

    private List<String> kernelsSince(int from) {
        List<String> names = rig.runner().kernelNames();
        return names.subList(from, names.size());
    }

    /** The kernels since launch from and the cuFFT executions since call calls ("R2C", "C2R"), in issue order. */
    private List<String> merged(int from, int calls) {
        List<String> out = new ArrayList<>();
        List<HostFakes.Launch> launches = rig.runner().launches;
        List<HostFakes.FftCall> executions = cufft.calls.subList(calls, cufft.calls.size()).stream()
                .filter(c -> c.call().equals("execute")).toList();
        int e = 0;
        for (int l = from; l <= launches.size(); l++) {
            while (e < executions.size() && executions.get(e).afterLaunches() == l) {
                out.add(executions.get(e++).plan().toFrequency() ? "R2C" : "C2R");
            }
            if (l < launches.size()) {
                out.add(launches.get(l).kernel());
            }
        }
        return out;
    }

    private static List<String> sequence(List<String> first, List<String> perChunk, int chunks, List<String> last) {
        List<String> out = new ArrayList<>(first);
        for (int i = 0; i < chunks; i++) {
            out.addAll(perChunk);
        }
        out.addAll(last);
        return out;
    }
}
