package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Network;
import org.convnet4j.nn.Parameter;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A graph network on both backends: one ResNet-20 training step (residual adds, projection shortcuts, batch
 * norm, global average pooling; batch 16, the same seed and data), its loss and every parameter gradient. On
 * the host fakes the step runs (every launch of the graph checked), and nothing is compared.
 */
@GpuTest
class ResNet20CpuVsGpuTest {
    static final int BATCH = 16;
    /** GEMM rounding through 19 convolutions and 19 batch norms, and the odd ReLU kink flip. */
    static final Tolerance GRADIENT = new Tolerance(2e-2, 2e-3, "GEMM and batch-norm rounding, rare ReLU flips");

    private static float step(Backend b, Network net, SoftmaxCrossEntropyLoss loss, float[] images, int[] labels) {
        Shape in = Models.batchInputShape("resnet20", BATCH);
        try (Tensor x = b.tensor(in, images); Tensor y = b.intTensor(Shape.of(BATCH), labels)) {
            net.initialize(b, in, 5);
            net.zeroGrad();
            float l = loss.forward(net.forward(x, true), y);
            net.backward(loss.backward(), false);
            b.synchronize();
            return l;
        }
    }

    @Test
    void oneTrainingStepMatches() {
        SplittableRandom r = new SplittableRandom(3);
        float[] images = new float[BATCH * 28 * 28];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) r.nextDouble();
        }
        int[] labels = r.ints(BATCH, 0, 10).toArray();
        try (CpuBackend cpu = new CpuBackend(); Backend gpu = NativeBackends.openDevice();
             Network nc = Models.create("resnet20", 10); Network ng = Models.create("resnet20", 10);
             SoftmaxCrossEntropyLoss lossC = new SoftmaxCrossEntropyLoss(cpu);
             SoftmaxCrossEntropyLoss lossG = new SoftmaxCrossEntropyLoss(gpu)) {
            float lc = step(cpu, nc, lossC, images, labels);
            float lg = step(gpu, ng, lossG, images, labels);
            if (NativeBackends.fakeDevice()) {
                return; // the fake computes no values: the launches were checked
            }
            double rel = Math.abs(lg - lc) / Math.abs(lc);
            System.out.printf("ResNet-20 step loss: cpu %.7f gpu %.7f, relative difference %.2e%n", lc, lg, rel);
            assertTrue(Float.isFinite(lg) && rel <= 1e-3, "loss cpu " + lc + " gpu " + lg);
            List<Parameter> pc = nc.parameters();
            List<Parameter> pg = ng.parameters();
            assertEquals(pc.size(), pg.size());
            for (int i = 0; i < pc.size(); i++) {
                if (pc.get(i).isTrainable()) {
                    CpuGpu.check("ResNet-20 gradient " + pc.get(i).name(), cpu.toFloatArray(pc.get(i).grad()),
                            gpu.toFloatArray(pg.get(i).grad()), GRADIENT);
                }
            }
        }
    }
}
