package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.OutputRounding;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * CudaConvolutionWinograd on the host fakes (no GPU): which convolutions it takes, and its launches, each checked
 * against the kernel signatures of kernels/*.cu and the live allocations (the batched GEMM's every matrix too):
 * only kernels of convolution_winograd.cu and GEMMs, one filter transform and per chunk of images one input
 * transform, one GEMM over the transform points and one output transform. Values are checked on the CPU
 * emulation (kernels/hosttest/convolution_winograd_test.cpp) and on a GPU (native-tests WinogradOpsTest).
 */
class CudaConvolutionWinogradTest {
    private final HostFakes.Rig rig = HostFakes.Rig.create();
    private final CudaOpContext context = new CudaOpContext(rig.backend().launcher(), rig.backend().gemmProvider(),
            new HostFakes.Device(), new Workspace(rig.pool()));

    private static ConvGeometry geometry(int n, int c, int h, int w, int k, int fh, ConvSpec spec) {
        return ConvGeometry.of("test", Shape.of(n, c, h, w), Shape.of(k, c, fh, fh), spec);
    }

    private Tensor t(Shape shape) {
        return rig.backend().allocate(shape);
    }

    @Test
    void appliesToThreeByThreeStrideOneUndilatedWithAnyPadding() {
        for (int pad = 0; pad <= 3; pad++) {
            assertTrue(CudaConvolutionWinograd.applies(geometry(1, 2, 7, 9, 3, 3, ConvSpec.of(1, pad))), "pad " + pad);
        }
        assertFalse(CudaConvolutionWinograd.applies(geometry(1, 2, 7, 9, 3, 5, ConvSpec.of(1, 2))), "5x5");
        assertFalse(CudaConvolutionWinograd.applies(geometry(1, 2, 7, 9, 3, 3,
                ConvSpec.of(2, 1).withRounding(OutputRounding.FLOOR))), "stride 2");
        assertFalse(CudaConvolutionWinograd.applies(geometry(1, 2, 7, 9, 3, 3, ConvSpec.of(1, 2).withDilation(2, 2))),
                "dilation 2");
        assertFalse(CudaConvolutionWinograd.applies(ConvGeometry.of("test", Shape.of(1, 2, 7, 9), Shape.of(3, 2, 3, 1),
                new ConvSpec(1, 1, 1, 0, 1, 1, OutputRounding.EXACT))), "3x1");
    }

    @Test
    void badTileSizeAndNonApplyingGeometryAreRejected() {
        IllegalArgumentException tile = assertThrows(IllegalArgumentException.class,
                () -> new CudaConvolutionWinograd(context, 3));
        assertTrue(tile.getMessage().contains("expected 2"), tile.getMessage());
        CudaConvolutionWinograd f4 = new CudaConvolutionWinograd(context, 4);
        ConvGeometry strided = geometry(1, 2, 7, 9, 3, 3, ConvSpec.of(2, 1).withRounding(OutputRounding.FLOOR));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> f4.workspaceBytes(strided, CudaConvolutionWinograd.Pass.FORWARD));
        assertTrue(e.getMessage().contains("stride 2x2"), e.getMessage());
        Tensor x = t(Shape.of(1, 2, 7, 9));
        Tensor w = t(Shape.of(3, 2, 3, 3));
        Tensor y = t(strided.outputShape());
        assertThrows(IllegalArgumentException.class, () -> f4.forward(strided, x, w, null, y));
        assertTrue(rig.runner().launches.isEmpty(), "nothing launched for a geometry Winograd does not compute");
    }

    /** AlexNet conv3 at batch 2, odd shapes, and one (N = 10) large enough to run in chunks of images. */
    @ParameterizedTest(name = "F({0}x{0},3x3)")
    @ValueSource(ints = {2, 4})
    void everyPassLaunchesOnlyItsKernelsAndGemmsInsideTheirAllocations(int tile) {
        CudaConvolutionWinograd wino = new CudaConvolutionWinograd(context, tile);
        String prefix = "winograd" + tile + "_";
        int points = (tile + 2) * (tile + 2);
        List<String> forward = List.of("input_transform", "gemm", "output_transform");
        List<String> filter = List.of("input_transform", "grad_output_transform", "gemm");
        for (ConvGeometry g : List.of(geometry(2, 256, 13, 13, 384, 3, ConvSpec.of(1, 1)),
                geometry(3, 1, 7, 5, 1, 3, ConvSpec.of(1, 0)), geometry(2, 3, 6, 11, 1, 3, ConvSpec.of(1, 2)),
                geometry(1, 2, 4, 5, 2, 3, ConvSpec.of(1, 3)), geometry(10, 64, 224, 224, 64, 3, ConvSpec.of(1, 1)))) {
            Tensor x = t(Shape.of(g.n(), g.c(), g.h(), g.w()));
            Tensor w = t(Shape.of(g.fn(), g.c(), 3, 3));
            Tensor bias = t(Shape.of(g.fn()));
            Tensor y = t(g.outputShape());
            Tensor dw = t(w.shape());
            int from = rig.runner().launches.size();
            wino.forward(g, x, w, bias, y);
            int chunks = chunksOf(from, prefix + "output_transform_f32");
            assertEquals(sequence(prefix, "filter_transform", forward, chunks, null),
                    kernelsSince(from), "forward " + g);
            from = rig.runner().launches.size();
            wino.backwardData(g, y, w, x);
            chunks = chunksOf(from, prefix + "output_transform_f32");
            assertEquals(sequence(prefix, "filter_transform", forward, chunks, null),
                    kernelsSince(from), "backward data " + g);
            from = rig.runner().launches.size();
            wino.backwardFilter(g, x, y, dw);
            chunks = chunksOf(from, prefix + "grad_output_transform_f32");
            assertEquals(sequence(prefix, null, filter, chunks, "filter_gradient"), kernelsSince(from),
                    "backward filter " + g);
            // every GEMM runs the transform points as its batch
            rig.runner().launches.stream().filter(l -> l.kernel().startsWith("sgemm_"))
                    .forEach(l -> assertEquals(points, l.gridZ(), "GEMM batch"));
            rig.runner().launches.clear();
        }
    }

    @Test
    void largeBatchesRunInChunksWithinTheWorkspaceBound() {
        CudaConvolutionWinograd f4 = new CudaConvolutionWinograd(context, 4);
        ConvGeometry g = geometry(10, 64, 224, 224, 64, 3, ConvSpec.of(1, 1));
        for (CudaConvolutionWinograd.Pass pass : CudaConvolutionWinograd.Pass.values()) {
            long bytes = f4.workspaceBytes(g, pass);
            assertTrue(bytes <= CudaConvolution.MAX_WORKSPACE_BYTES, pass + ": " + bytes);
            // 36 points * 56*56 tiles * (64 + 64) channels * 4 bytes = 57.8 MB per image: 4 images a chunk
            assertEquals(4L * 36 * 64 * 64 + 4 * (4L * 36 * 56 * 56 * 128), bytes, pass.toString());
        }
        f4.forward(g, t(Shape.of(10, 64, 224, 224)), t(Shape.of(64, 64, 3, 3)), null, t(g.outputShape()));
        assertEquals(3, chunksOf(0, "winograd4_output_transform_f32"), "chunks of 4, 4 and 2 images");
        // AlexNet conv3 at batch 256 with F(2x2,3x3): 2.0 MB per image, at most 130 a chunk: two chunks of 128
        // (not 130 + 126)
        CudaConvolutionWinograd f2 = new CudaConvolutionWinograd(context, 2);
        ConvGeometry conv3 = geometry(256, 256, 13, 13, 384, 3, ConvSpec.of(1, 1));
        assertEquals(4L * 16 * 384 * 256 + 128 * (4L * 16 * 7 * 7 * 640),
                f2.workspaceBytes(conv3, CudaConvolutionWinograd.Pass.FORWARD));
        int from = rig.runner().launches.size();
        f2.forward(conv3, t(Shape.of(256, 256, 13, 13)), t(Shape.of(384, 256, 3, 3)), null, t(conv3.outputShape()));
        assertEquals(2, chunksOf(from, "winograd2_output_transform_f32"));
    }

    private int chunksOf(int from, String kernel) {
        return Collections.frequency(kernelsSince(from), kernel);
    }

    private List<String> kernelsSince(int from) {
        List<String> names = rig.runner().kernelNames();
        return names.subList(from, names.size()).stream().map(n -> n.startsWith("sgemm_") ? "gemm" : n).toList();
    }

    /** first (if any), perChunk repeated chunks times, last (if any); names but "gemm" get prefix and "_f32". */
    private static List<String> sequence(String prefix, String first, List<String> perChunk, int chunks, String last) {
        List<String> out = new ArrayList<>();
        if (first != null) {
            out.add(first);
        }
        for (int i = 0; i < chunks; i++) {
            out.addAll(perChunk);
        }
        if (last != null) {
            out.add(last);
        }
        return out.stream().map(n -> n.equals("gemm") ? n : prefix + n + "_f32").toList();
    }
}
