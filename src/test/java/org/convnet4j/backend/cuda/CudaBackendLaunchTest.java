package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.convnet4j.backend.Activation;
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
        b.gatherRows(x, ints(2), 0, dx); // CUDA only: a batch from a data set on the device

        Set<String> launched = new HashSet<>(rig.runner().kernelNames());
        Set<String> expected = new HashSet<>(rig.runner().signatures.keySet());
        expected.remove("sgemm_naive"); // the oracle, launched only when asked for
        expected.removeAll(launched);
        assertTrue(expected.isEmpty(), "kernels never launched by any op: " + expected);
    }

    @Test
    void ourGemmGetsALongKInSlicesThatAreSummedInOrder() {
        KernelGemmProvider kernel = new KernelGemmProvider(null);
        assertEquals(1, kernel.kSlices(4096, 4096, 1 << 20), "1024 tiles fill the GPU already");
        assertEquals(1, kernel.kSlices(6, 25, 1000), "too short to cut");
        assertEquals(5, kernel.kSlices(256, 3456, 128 * 169), "54 tiles: 5 slices make 270 blocks");
        assertEquals(49, kernel.kSlices(6, 25, 64 * 784), "one tile: as many 1024-long slices as K holds");

        // LeNet conv2's filter gradient at batch 64: dW [16, 150], K = 64 * 10 * 10 = 6400 -> 6 slices
        int before = rig.runner().launches.size();
        b.conv2dBackwardFilter(t(64, 6, 14, 14), t(64, 16, 10, 10), ConvSpec.of(1, 0), t(16, 6, 5, 5), null);
        List<HostFakes.Launch> launches = rig.runner().launches.subList(before, rig.runner().launches.size());
        List<String> names = launches.stream().map(HostFakes.Launch::kernel).toList();
        assertEquals(List.of("nchw_to_cnhw_f32", "im2col_f32", "sgemm_tiled", "sgemm_tiled", "sum_batches_accumulate_f32"),
                names, "6400 = 5 slices of 1067 and a last one of 1065");
        assertEquals(5, launches.get(2).gridZ());
        assertEquals(1067, launches.get(2).args()[4]);
        assertEquals(1065, launches.get(3).args()[4]);
        assertEquals(6, launches.get(4).args()[2], "six partial products summed");
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
    void convolutionIsChunkedUnderTheWorkspaceBoundAndWritesEachChunkOnce() {
        // 64 images whose column matrices take 3*11*11*55*55*4 = 4.4 MB each: 60 fit in 256 MiB.
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
        int columns = gemms.stream().mapToInt(l -> (Integer) l.args()[3]).sum();
        assertEquals(2, im2col, "two chunks");
        assertEquals(2, gemms.size(), "one GEMM per chunk");
        assertTrue(gemms.stream().allMatch(l -> l.gridZ() == 1), "not batched: the chunk is one matrix");
        assertEquals(64 * 55 * 55, columns, "every image's output columns multiplied once");
        assertTrue(b.memoryStats().bytesInUse() - 4L * (x.size() + w.size() + y.size()) <= CudaConvolution.MAX_WORKSPACE_BYTES * 5 / 4,
                "workspace within its bound (plus size-class rounding)");
        long perImage = 4L * (3 * 11 * 11 + 96) * 55 * 55; // columns plus the channel-major output
        long workspace = CudaBackend.convWorkspaceBytes(x.shape(), w.shape(), spec);
        assertEquals(perImage * (CudaConvolution.MAX_WORKSPACE_BYTES / perImage), workspace);
        assertTrue(workspace <= CudaConvolution.MAX_WORKSPACE_BYTES && workspace > CudaConvolution.MAX_WORKSPACE_BYTES - perImage);
        assertEquals(perImage * 2, CudaBackend.convWorkspaceBytes(x.shape().withBatch(2), w.shape(), spec),
                "a small batch takes only what it needs");
        Tensor dw = t(96, 3, 11, 11);
        b.conv2dBackwardFilter(x, y, spec, dw, null);
        b.conv2dBackwardData(y, w, spec, x);
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
