package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.ConvGeometry;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.LrnSpec;
import org.convnet4j.backend.MemoryStats;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * CudaBackend on host fakes (no GPU): every op launches kernels that exist in kernels/*.cu with arguments
 * of the kinds their parameters declare, inside live allocations (GEMM matrices included); shape errors are
 * caught before any launch; a repeated training step takes no new device memory.
 */
class CudaBackendLaunchTest {

    private final HostFakes.Rig rig = HostFakes.Rig.create();
    private final CudaBackend b = rig.backend();

    private Tensor t(int... dims) {
        return b.allocate(Shape.of(dims));
    }

    private Tensor ints(int... dims) {
        return b.allocate(Shape.of(dims), DataType.INT32);
    }

    @Test
    void everyOpLaunchesDefinedKernelsWithMatchingArguments() {
        Tensor x = t(2, 3, 8, 8);
        Tensor w = t(4, 3, 3, 3);
        Tensor bias = t(4);
        ConvSpec conv = ConvSpec.of(1, 1);
        Tensor y = t(2, 4, 8, 8);
        b.conv2dForward(x, w, bias, conv, y);
        Tensor dx = t(2, 3, 8, 8);
        b.conv2dBackwardData(y, w, conv, dx);
        Tensor dw = t(4, 3, 3, 3);
        Tensor db = t(4);
        b.conv2dBackwardFilter(x, y, conv, dw, db);
        ConvSpec strided = new ConvSpec(2, 1, 0, 2, 2, 1, org.convnet4j.backend.OutputRounding.FLOOR);
        Tensor ys = b.allocate(strided.outputShape("test", x.shape(), w.shape()));
        b.conv2dForward(x, w, null, strided, ys);
        b.conv2dBackwardData(ys, w, strided, dx);
        b.conv2dBackwardFilter(x, ys, strided, dw, null);
        // LeNet conv1's filter gradient at batch 64: a small dW and a long K, so our GEMM gets K in slices
        b.conv2dBackwardFilter(t(64, 1, 28, 28), t(64, 6, 28, 28), ConvSpec.of(1, 2), t(6, 1, 5, 5), t(6));

        PoolSpec pool = PoolSpec.of(3, 2).withPadding(1, 1).withRounding(org.convnet4j.backend.OutputRounding.FLOOR);
        Shape ps = pool.outputShape("test", y.shape());
        Tensor py = b.allocate(ps);
        Tensor sw = b.allocate(ps, DataType.INT32);
        b.maxPoolForward(y, pool, py, sw);
        b.maxPoolBackward(py, sw, pool, y);
        b.avgPoolForward(y, pool, py);
        b.avgPoolBackward(py, pool, y);
        Tensor means = t(2, 4, 1, 1);
        b.globalAvgPoolForward(y, means);
        b.globalAvgPoolBackward(means, y);
        b.add(y, y, y);
        Tensor wide = t(2, 7, 8, 8);
        b.copyChannels(y, 1, wide, 3, 2);

        for (Activation f : Activation.values()) {
            b.activationForward(f, y, y);
            b.activationBackward(f, y, y, y);
        }
        b.addBias(y, bias);
        b.biasGradient(y, db);

        Tensor fx = t(5, 7);
        Tensor fw = t(3, 7);
        Tensor fb = t(3);
        Tensor fy = t(5, 3);
        b.linearForward(fx, fw, fb, fy);
        b.linearBackward(fx, fw, fy, fx, fw, fb);
        b.linearBackward(fx, fw, fy, null, fw, null);
        Tensor c = t(3, 7);
        b.gemm(fy, true, fx, false, c, 2f, 0.5f);
        b.gemm(fx, false, fw, true, fy, 1f, 0f);

        Tensor labels = ints(5);
        Tensor probs = t(5, 3);
        Tensor loss = t(1);
        b.softmaxCrossEntropyForward(fy, labels, probs, loss);
        b.softmaxCrossEntropyBackward(probs, labels, fy);
        b.argmax(fy, labels);
        b.tallyBatch(labels, labels, 5, loss, t(3, 2), 2);
        b.tallyBatch(labels, labels, 4, null, t(3, 2), 0);

        Tensor mask = t(2, 3, 8, 8);
        b.dropoutForward(x, 0.5f, 42L, mask, dx);
        b.dropoutBackward(dx, mask, dx);
        Tensor scale = t(2, 4, 8, 8);
        Tensor yl = t(2, 4, 8, 8);
        b.lrnForward(y, LrnSpec.alexNet(), scale, yl);
        b.lrnBackward(y, yl, scale, yl, LrnSpec.alexNet(), y);

        Tensor g = t(4);
        Tensor be = t(4);
        Tensor rm = t(4);
        Tensor rv = t(4);
        Tensor sm = t(4);
        Tensor si = t(4);
        b.batchNormForwardTraining(y, g, be, 0.1f, 1e-5f, rm, rv, sm, si, yl);
        b.batchNormForwardInference(y, g, be, rm, rv, 1e-5f, yl);
        b.batchNormBackward(y, yl, g, sm, si, y, g, be);
        Tensor y2 = t(6, 4);
        b.batchNormForwardTraining(y2, g, be, 0.1f, 1e-5f, rm, rv, sm, si, y2);

        b.sgdUpdate(w, dw, 0.1f, 1e-4f);
        b.momentumUpdate(w, dw, t(4, 3, 3, 3), 0.1f, 0.9f, 0f, true);
        b.adagradUpdate(w, dw, t(4, 3, 3, 3), 0.1f, 1e-8f, 0f);
        b.rmspropUpdate(w, dw, t(4, 3, 3, 3), 0.1f, 0.9f, 1e-8f, 0f);
        b.adamUpdate(w, dw, t(4, 3, 3, 3), t(4, 3, 3, 3), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1);
        b.fill(x, Float.NaN);
        b.copy(x, dx);
        b.gatherRows(x, ints(2), 0, dx); // a batch from a data set on the device
        // the Winograd algorithms of the convolution (chosen per layer and pass by the algorithm registry)
        ConvGeometry wg = ConvGeometry.of("test", x.shape(), w.shape(), conv);
        for (int tile : new int[] {2, 4}) {
            CudaConvolutionWinograd wino = new CudaConvolutionWinograd(b.opContext(), tile);
            wino.forward(wg, x, w, bias, y);
            wino.backwardData(wg, y, w, dx);
            wino.backwardFilter(wg, x, y, dw);
        }

        Set<String> launched = new HashSet<>(rig.runner().kernelNames());
        Set<String> expected = new HashSet<>(rig.runner().signatures.keySet());
        expected.remove("sgemm_naive"); // the oracle, launched only when asked for
        expected.removeAll(launched);
        assertTrue(expected.isEmpty(), "kernels never launched by any op: " + expected);
    }

    @Test
    void aLongKIsCutIntoSlicesWhenTheOutputHasFewerTilesThanTheDeviceHasSMs() {
        assertEquals(1, Im2colGemm.kSlices(4096, 4096, 1 << 20, 132), "1024 tiles fill the GPU already");
        assertEquals(1, Im2colGemm.kSlices(6, 25, 1000, 132), "too short to cut");
        assertEquals(5, Im2colGemm.kSlices(256, 3456, 128 * 169, 132), "54 tiles: 5 slices make 270 blocks");
        assertEquals(49, Im2colGemm.kSlices(6, 25, 64 * 784, 132), "one tile: as many 1024-long slices as K holds");
        assertEquals(1, Im2colGemm.kSlices(256, 3456, 128 * 169, 54), "54 tiles on a 54-SM card: no split");
        assertEquals(3, Im2colGemm.kSlices(256, 3456, 128 * 169, 80), "54 tiles, 80 SMs: 3 slices, 162 blocks");
        // AlexNet conv1's filter gradient at batch 128 (3 chunks of 43 images): dW [64, 363] is 3 tiles
        assertEquals(88, Im2colGemm.kSlices(64, 363, 43 * 55 * 55, 132));

        // LeNet conv2's filter gradient at batch 64: dW [16, 150], K = 64 * 10 * 10 = 6400 -> 6 slices; the
        // provider is our kernel here, but the split is the same for cuBLAS
        int before = rig.runner().launches.size();
        b.conv2dBackwardFilter(t(64, 6, 14, 14), t(64, 16, 10, 10), ConvSpec.of(1, 0), t(16, 6, 5, 5), null);
        List<HostFakes.Launch> launches = rig.runner().launches.subList(before, rig.runner().launches.size());
        List<String> names = launches.stream().map(HostFakes.Launch::kernel).toList();
        assertEquals(List.of("nchw_to_cnhw_f32", "im2col_f32", "sgemm_tiled", "sgemm_tiled", "sum_batches_accumulate_f32"),
                names, "6400 = 5 slices of 1067 and a last one of 1065");
        assertEquals(5, launches.get(2).gridZ());
        assertEquals(1067, launches.get(2).args()[4]);
        assertEquals(1065, launches.get(3).args()[4]);
        assertEquals(6400, launches.get(2).args()[7], "A's row stride: 6400 columns is a multiple of 32 already");
        assertEquals(6, launches.get(4).args()[2], "six partial products summed");
    }

    @Test
    void theSMCountComesFromTheDevice() {
        HostFakes.Device device = new HostFakes.Device();
        device.multiprocessors = 8;
        HostFakes.Rig small8 = HostFakes.Rig.create(device);
        CudaBackend small = small8.backend();
        HostFakes.CheckingRunner runner = small8.runner();
        // LeNet conv2's dW [16, 150] has 2 tiles; over 640 images (one chunk) K = 64000: on 8 SMs
        // ceil(2*8 / 2) = 8 slices of 8000; on 132 SMs it would be min(132, 64000 / 1024) = 62
        small.conv2dBackwardFilter(small.allocate(Shape.of(640, 6, 14, 14)), small.allocate(Shape.of(640, 16, 10, 10)),
                ConvSpec.of(1, 0), small.allocate(Shape.of(16, 6, 5, 5)), null);
        HostFakes.Launch gemm = runner.launches.stream().filter(l -> l.kernel().equals("sgemm_tiled")).findFirst()
                .orElseThrow();
        assertEquals(8, gemm.gridZ());
        assertEquals(8000, gemm.args()[4]);
        assertEquals(62, Im2colGemm.kSlices(16, 150, 64000, 132));
        assertEquals(1, Im2colGemm.kSlices(16, 150, 64000, 2), "2 tiles fill a 2-SM card");
        small.close();
    }

    @Test
    void aLayerBackwardCopiesDyToTheGemmLayoutOncePerChunkAndSumsTheBiasInTwoStages() {
        Tensor x = t(3, 4, 9, 11);
        Tensor w = t(5, 4, 3, 3);
        Tensor dy = t(3, 5, 9, 11);
        b.requestConvAlgorithm("im2col"); // 3x3 stride 1: auto would time Winograd too
        int before = rig.runner().launches.size();
        b.conv2dBackward(x, dy, w, ConvSpec.of(1, 1), t(3, 4, 9, 11), t(5, 4, 3, 3), t(5));
        List<HostFakes.Launch> launches = rig.runner().launches.subList(before, rig.runner().launches.size());
        assertEquals(List.of("nchw_to_cnhw_f32", "im2col_f32", "sgemm_tiled", "row_sum_slices_f32",
                "sum_batches_accumulate_f32", "sgemm_tiled", "col2im_f32"),
                launches.stream().map(HostFakes.Launch::kernel).toList(), "one copy of dy serves both passes");
        HostFakes.Launch copy = launches.get(0);
        assertEquals(1, copy.gridX(), "99 positions per plane: one block across");
        assertEquals(15, copy.gridY(), "one block row per (channel, image) plane");
        assertEquals(320, copy.args()[5], "row stride: 3 * 99 = 297 columns padded to 320");
        assertEquals(320, launches.get(1).args()[16], "im2col writes with the same row stride");
        HostFakes.Launch rowSums = launches.get(3);
        assertEquals(1, rowSums.gridX(), "297 columns: one bias slice");
        assertEquals(5, rowSums.gridY(), "one block row per channel");

        before = rig.runner().launches.size();
        b.conv2dBackward(x, dy, w, ConvSpec.of(1, 1), null, t(5, 4, 3, 3), null);
        assertEquals(List.of("nchw_to_cnhw_f32", "im2col_f32", "sgemm_tiled"), rig.runner().kernelNames().subList(before,
                rig.runner().launches.size()), "no dx, no bias: the filter gradient only");
    }

    @Test
    void naiveGemmTakesTheSameArgumentsAsTheTiledOne() {
        KernelGemmProvider naive = new KernelGemmProvider(new KernelLauncher(rig.runner(), rig.device().stream(), false), "sgemm_naive");
        CudaTensor a = (CudaTensor) t(3, 4, 5);
        CudaTensor bm = (CudaTensor) t(5, 6);
        CudaTensor c = (CudaTensor) t(3, 4, 6);
        naive.sgemmStridedBatched(false, false, 4, 6, 5, 1f, a.address(), 5, 20, bm.address(), 6, 0, 0f,
                c.address(), 6, 24, 3);
        assertEquals(List.of("sgemm_naive"), rig.runner().kernelNames().subList(rig.runner().kernelNames().size() - 1,
                rig.runner().kernelNames().size()));
        HostFakes.Launch last = rig.runner().launches.get(rig.runner().launches.size() - 1);
        assertEquals(3, last.gridZ());
        assertEquals(1, last.gridX());
        assertEquals(1, last.gridY());
    }

    @Test
    void convolutionIsChunkedInBalancedChunksUnderTheWorkspaceBoundAndWritesEachChunkOnce() {
        // 64 images whose columns and output take 4*(3*11*11 + 96)*55*55 = 5.6 MB each: 48 fit in 256 MiB, so 2
        // chunks, balanced: 32 + 32 (not 48 + 16)
        Tensor x = t(64, 3, 227, 227);
        Tensor w = t(96, 3, 11, 11);
        ConvSpec spec = ConvSpec.of(4, 0);
        Tensor y = b.allocate(spec.outputShape("conv1", x.shape(), w.shape()));
        assertEquals(Shape.of(64, 96, 55, 55), y.shape());
        int before = rig.runner().launches.size();
        b.conv2dForward(x, w, null, spec, y);
        List<HostFakes.Launch> launches = rig.runner().launches.subList(before, rig.runner().launches.size());
        long im2col = launches.stream().filter(l -> l.kernel().equals("im2col_f32")).count();
        List<HostFakes.Launch> gemms = launches.stream().filter(l -> l.kernel().equals("sgemm_tiled")).toList();
        assertEquals(2, im2col, "two chunks");
        assertEquals(List.of(32 * 3025, 32 * 3025), gemms.stream().map(l -> (Integer) l.args()[3]).toList(),
                "balanced: every image's output columns multiplied once");
        assertTrue(gemms.stream().allMatch(l -> l.gridZ() == 1), "not batched: the chunk is one matrix");
        assertTrue(gemms.stream().allMatch(l -> (Integer) l.args()[10] == 96800), "ld 96800 = 32 * 3025, aligned");
        assertTrue(b.memoryStats().bytesInUse() - 4L * (x.size() + w.size() + y.size()) <= CudaConvolution.MAX_WORKSPACE_BYTES * 5 / 4,
                "workspace within its bound (plus size-class rounding)");
        long workspace = CudaBackend.convWorkspaceBytes(x.shape(), w.shape(), spec);
        assertEquals(4L * (3 * 11 * 11 + 96) * 96800, workspace, "a chunk's columns and channel-major output");
        assertTrue(workspace <= CudaConvolution.MAX_WORKSPACE_BYTES);
        assertEquals(4L * (3 * 11 * 11 + 96) * 6080, CudaBackend.convWorkspaceBytes(x.shape().withBatch(2), w.shape(),
                spec), "a small batch takes only what it needs: 2 * 3025 columns padded to 6080");
        Tensor dw = t(96, 3, 11, 11);
        b.conv2dBackwardFilter(x, y, spec, dw, null);
        b.conv2dBackwardData(y, w, spec, x);
    }

    @Test
    void chunksAreBalancedAndRowStridesAligned() {
        // AlexNet conv1 at batch 128: 48 images fit, so 3 chunks of 43, 43, 42 (not 48, 48, 32)
        ConvGeometry g = ConvGeometry.of("conv1", Shape.of(128, 3, 227, 227), Shape.of(96, 3, 11, 11), ConvSpec.of(4, 0));
        Im2colGemm.Plan plan = Im2colGemm.Plan.of(g, 132);
        assertEquals(43, plan.chunk());
        assertEquals(130080, plan.ld(), "43 * 3025 = 130075 columns padded to 32 * 4065");
        for (int n : new int[] {1, 7, 60, 61, 127, 128, 129, 1000}) {
            Im2colGemm.Plan p = Im2colGemm.Plan.of(ConvGeometry.of("c", Shape.of(n, 3, 227, 227), Shape.of(96, 3, 11, 11),
                    ConvSpec.of(4, 0)), 132);
            int chunks = (n + p.chunk() - 1) / p.chunk();
            int last = n - (chunks - 1) * p.chunk();
            assertTrue(p.chunk() - last < chunks, n + " images: chunks of " + p.chunk() + ", last " + last);
            assertTrue(p.colBytes(g) + p.chwBytes(g) <= CudaConvolution.MAX_WORKSPACE_BYTES);
            assertEquals(0, p.ld() % 32);
        }
    }

    @Test
    void shapeErrorsAreCaughtBeforeAnyLaunch() {
        Tensor x = t(2, 3, 8, 8);
        Tensor w = t(4, 2, 3, 3);
        Tensor y = t(2, 4, 8, 8);
        int before = rig.runner().launches.size();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.conv2dForward(x, w, null, ConvSpec.of(1, 1), y));
        assertTrue(e.getMessage().contains("conv2dForward"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> b.conv2dForward(x, t(4, 3, 3, 3), null, ConvSpec.of(1, 0), y)); // y should be 6x6
        assertThrows(IllegalArgumentException.class, () -> b.gemm(t(2, 3), false, t(2, 3), false, t(2, 3), 1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.maxPoolForward(x, PoolSpec.of(2, 2), t(2, 3, 4, 4),
                t(2, 3, 4, 4)));  // switches must be INT32
        assertThrows(IllegalArgumentException.class, () -> b.softmaxCrossEntropyForward(t(4, 10), ints(3), t(4, 10),
                t(1)));
        assertThrows(IllegalArgumentException.class, () -> b.dropoutForward(x, 1f, 1L, t(2, 3, 8, 8), t(2, 3, 8, 8)));
        assertThrows(IllegalArgumentException.class, () -> b.activationForward(Activation.RELU, x, t(3)));
        assertThrows(IllegalArgumentException.class, () -> b.upload(new float[5], x));
        assertEquals(before, rig.runner().launches.size(), "no launch after a rejected call");
    }

    @Test
    void tensorsOfAnotherBackendOrClosedOnesAreRejected() {
        HostFakes.Rig other = HostFakes.Rig.create();
        Tensor foreign = other.backend().allocate(Shape.of(4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.fill(foreign, 1f));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
        Tensor x = t(4);
        x.close();
        assertThrows(IllegalStateException.class, () -> b.fill(x, 1f));
        Tensor parent = t(2, 2);
        Tensor view = parent.reshape(Shape.of(4));
        parent.close();
        assertThrows(IllegalStateException.class, () -> b.fill(view, 1f));
        b.close();
        assertThrows(IllegalStateException.class, () -> b.allocate(Shape.of(1)));
    }

    @Test
    void aRepeatedTrainingStepTakesNoNewDeviceMemory() {
        Tensor w = t(8, 1, 5, 5);
        Tensor dw = t(8, 1, 5, 5);
        Tensor v = t(8, 1, 5, 5);
        for (int step = 0; step < 3; step++) {
            if (step == 1) {
                assertStable(null);
            }
            MemoryStats before = b.memoryStats();
            try (Tensor x = t(16, 1, 28, 28); Tensor y = t(16, 8, 24, 24); Tensor p = t(16, 8, 12, 12);
                 Tensor s = ints(16, 8, 12, 12); Tensor dx = t(16, 1, 28, 28)) {
                b.conv2dForward(x, w, null, ConvSpec.of(1, 0), y);
                b.activationForward(Activation.RELU, y, y);
                b.maxPoolForward(y, PoolSpec.of(2, 2), p, s);
                b.maxPoolBackward(p, s, PoolSpec.of(2, 2), y);
                b.activationBackward(Activation.RELU, y, y, y);
                b.fill(dw, 0f);
                b.conv2dBackwardFilter(x, y, ConvSpec.of(1, 0), dw, null);
                b.conv2dBackwardData(y, w, ConvSpec.of(1, 0), dx);
                b.momentumUpdate(w, dw, v, 0.01f, 0.9f, 0f, false);
            }
            if (step >= 1) {
                assertStable(before);
            }
        }
    }

    private void assertStable(MemoryStats before) {
        if (before != null) {
            MemoryStats after = b.memoryStats();
            assertEquals(before.allocations(), after.allocations(), "allocations from the device after warm-up");
            assertEquals(before.bytesInUse(), after.bytesInUse(), "bytes in use after the step's tensors closed");
        }
    }
}
