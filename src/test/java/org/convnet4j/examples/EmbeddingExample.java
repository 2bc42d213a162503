package org.convnet4j.examples;

import java.util.Arrays;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.PoolSpec;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Single ops on buffers you manage yourself (docs/embedding.md quotes this class): open a backend,
 * allocate and upload, run conv2dForward then maxPoolForward, download, close. Run with no argument for
 * the CPU backend, with {@code --gpu} for the CUDA backend.
 */
public final class EmbeddingExample {
    private EmbeddingExample() {
    }

    // begin example
    /** A 3x3 convolution (pad 1) of a 4x4 image, then 2x2 max pooling; returns the pooled [1,1,2,2] values. */
    public static float[] convolveAndPool(Backend backend) {
        float[] image = {
            1, 2, 3, 0,
            0, 1, 2, 3,
            3, 0, 1, 2,
            2, 3, 0, 1};
        float[] filter = {
            2, 0, 1,
            0, 1, 2,
            1, 0, 2};
        ConvSpec conv = ConvSpec.of(1, 1);   // stride 1, pad 1
        PoolSpec pool = PoolSpec.of(2, 2);   // 2x2 window, stride 2
        // Every tensor belongs to the backend and is freed by close(): try-with-resources frees them all.
        try (Tensor x = backend.tensor(Shape.of(1, 1, 4, 4), image);     // allocate + upload
             Tensor w = backend.tensor(Shape.of(1, 1, 3, 3), filter);
             Tensor y = backend.allocate(conv.outputShape("conv", x.shape(), w.shape()));
             Tensor pooled = backend.allocate(pool.outputShape("pool", y.shape()));
             Tensor switches = backend.allocate(pooled.shape(), DataType.INT32)) {
            backend.conv2dForward(x, w, null, conv, y);                 // no bias
            backend.maxPoolForward(y, pool, pooled, switches);
            float[] convolved = backend.toFloatArray(y);                // download: waits for the GPU
            float[] result = backend.toFloatArray(pooled);
            System.out.println("conv2dForward:  " + Arrays.toString(convolved));
            System.out.println("maxPoolForward: " + Arrays.toString(result)
                    + ", switches " + Arrays.toString(backend.toIntArray(switches)));
            return result;
        }
    }

    public static void main(String[] args) {
        boolean gpu = args.length > 0 && args[0].equals("--gpu");
        // CudaBackend.open() throws BackendUnavailableException with the reason when there is no GPU.
        try (Backend backend = gpu ? CudaBackend.open() : new CpuBackend()) {
            System.out.println(backend.description());
            convolveAndPool(backend);
            System.out.println(backend.memoryStats()); // what the backend still holds: its workspaces
        }
    }
    // end example
}
