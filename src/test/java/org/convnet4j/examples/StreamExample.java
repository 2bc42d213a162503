package org.convnet4j.examples;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import org.convnet4j.backend.Activation;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * Your own CUDA work ordered after ours on the backend's stream (docs/embedding.md quotes this class): a
 * ReLU by convnet4j, then a copy of its output into a buffer of your own with JCuda, issued to
 * {@link CudaBackend#stream()}, then a wait for that stream only. Run with a GPU.
 */
public final class StreamExample {
    private StreamExample() {
    }

    // begin example
    /** relu(input) computed by the backend, copied by your own code on the backend's stream. */
    public static float[] reluThenOwnCopy(CudaBackend backend, float[] input) {
        long bytes = 4L * input.length;
        CUdeviceptr mine = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(mine, bytes);                       // a buffer of your own
        try (Tensor x = backend.tensor(Shape.of(1, input.length), input);
             Tensor y = backend.allocate(x.shape())) {
            backend.activationForward(Activation.RELU, x, y);      // ours: issued to backend.stream(), returns at once
            CUstream stream = backend.stream().cuStream();
            CUdeviceptr ours = new CUdeviceptr().withByteOffset(backend.devicePointer(y));
            // Yours, on the same stream: it runs after the ReLU, with no synchronization in between.
            JCudaDriver.cuMemcpyDtoDAsync(mine, ours, bytes, stream);
            JCudaDriver.cuStreamSynchronize(stream);               // waits for this stream, not the device
            float[] result = new float[input.length];
            JCudaDriver.cuMemcpyDtoH(Pointer.to(result), mine, bytes);
            return result;
        } finally {
            JCudaDriver.cuMemFree(mine);
        }
    }
    // end example

    public static void main(String[] args) {
        try (CudaBackend backend = CudaBackend.open()) {
            System.out.println(backend.description() + ", " + backend.stream());
            System.out.println(java.util.Arrays.toString(reluThenOwnCopy(backend, new float[] {-2, -1, 0, 1, 2, 3})));
        }
    }
}
