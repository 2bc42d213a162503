package org.convnet4j.nativetest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.convnet4j.backend.Backend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.convnet4j.train.EpochOrder;
import org.junit.jupiter.api.Test;

/**
 * Backend.gatherRows builds each batch of an epoch from a data set held on the device and the epoch's
 * order (EpochOrder, the CPU trainer's): every batch equals the rows the host would copy, bit for bit
 * (NaN included), images and labels. On host fakes only the launches are checked.
 */
@GpuTest
class GatherRowsOpsTest {
    @Test
    void everyBatchOfAnEpochIsTheHostsGather() {
        int n = 1000;
        int row = 784;
        int batch = 64;
        SplittableRandom r = new SplittableRandom(3);
        float[] images = new float[n * row];
        int[] labels = new int[n];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) r.nextGaussian();
        }
        images[5 * row + 7] = Float.NaN;
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(10);
        }
        int[] order = EpochOrder.permutation(1, 2, n);
        try (Backend gpu = NativeBackends.openDevice();
             Tensor src = gpu.tensor(Shape.of(n, 1, 28, 28), images);
             Tensor srcLabels = gpu.intTensor(Shape.of(n), labels);
             Tensor ord = gpu.intTensor(Shape.of(n), order);
             Tensor x = gpu.allocate(Shape.of(batch, 1, 28, 28));
             Tensor y = gpu.allocate(Shape.of(batch), DataType.INT32)) {
            for (int first = 0; first + batch <= n; first += batch) {
                gpu.gatherRows(src, ord, first, x);
                gpu.gatherRows(srcLabels, ord, first, y);
                if (NativeBackends.fakeDevice()) {
                    continue; // nothing computed
                }
                float[] wantX = new float[batch * row];
                int[] wantY = new int[batch];
                for (int i = 0; i < batch; i++) {
                    System.arraycopy(images, order[first + i] * row, wantX, i * row, row);
                    wantY[i] = labels[order[first + i]];
                }
                assertArrayEquals(wantX, gpu.toFloatArray(x), "images of the batch from " + first);
                assertArrayEquals(wantY, gpu.toIntArray(y), "labels of the batch from " + first);
            }
        }
    }
}
