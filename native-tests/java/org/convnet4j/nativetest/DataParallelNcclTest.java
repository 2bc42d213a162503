package org.convnet4j.nativetest;

import static org.convnet4j.testing.Assertions.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.List;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.CudaTestAccess;
import org.convnet4j.backend.cuda.NcclAllReduce;
import org.convnet4j.data.Dataset;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.convnet4j.train.DataParallelTestAccess;
import org.convnet4j.train.TrainConfig;
import org.junit.jupiter.api.Test;

/**
 * The data-parallel step with one replica on the GPU, its gradients "summed" by NCCL over one rank, against
 * the plain training step on the same backend: 30 LeNet-5 steps (batch 64, momentum) give the same loss at
 * every step and the same parameters at the end, bit for bit (the same kernels on the same inputs; NCCL's
 * sum over one rank leaves the gradients as they are). On host fakes 3 steps run, launched and checked but
 * not computed, so values are not compared.
 */
@GpuTest
class DataParallelNcclTest {
    @Test
    void oneReplicaThroughNcclMatchesThePlainStepBitForBit() {
        assumeFalse(NativeBackends.cpuStandIn(), "NCCL needs the CUDA backend");
        boolean fake = NativeBackends.fakeDevice();
        int steps = fake ? 3 : 30;
        Dataset data = new SyntheticDataset("synthetic", 64 * steps, Shape.of(1, 28, 28), 10, 7, 2f);
        TrainConfig config = new TrainConfig("lenet5", "synthetic", 1, 64, 0.01f, 1f, "momentum", 0f, 5, 0, 1);
        try (CudaBackend backend = NativeBackends.openCuda()) {
            DataParallelTestAccess.Run plain = DataParallelTestAccess.plain(backend, config, data, steps);
            DataParallelTestAccess.Run parallel;
            try (NcclAllReduce nccl = CudaTestAccess.ncclLocal(List.of(backend), fake)) {
                System.out.println("data parallel, one replica: " + nccl.description());
                parallel = DataParallelTestAccess.parallel(List.<Backend>of(backend), nccl, config, data, steps);
            }
            if (fake) {
                return;
            }
            assertBitIdentical(plain.losses(), parallel.losses(), "the loss of every step");
            assertEquals(plain.parameters().size(), parallel.parameters().size());
            for (int i = 0; i < plain.parameters().size(); i++) {
                assertBitIdentical(plain.parameters().get(i), parallel.parameters().get(i), "parameter " + i);
            }
            System.out.println("data parallel, one replica: " + steps + " steps, last loss " + plain.losses()[steps - 1]
                    + ", identical to the plain step");
        }
    }
}
