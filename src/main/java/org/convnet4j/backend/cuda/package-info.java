/**
 * The CUDA backend: {@link org.convnet4j.backend.cuda.CudaBackend} runs every op of
 * {@link org.convnet4j.backend.Backend} as a hand-written kernel from kernels/*.cu (one fatbin on the class
 * path, loaded by {@code KernelImage}) through JCuda's driver API, with GEMM from a
 * {@link org.convnet4j.backend.cuda.GemmProvider} chosen by {@link org.convnet4j.backend.cuda.GemmProviders}.
 * The only package that imports JCuda and the cuBLAS bindings. Pieces: {@code CudaDriver} (loads the
 * binding, cuInit), {@code CudaContext} (primary context, copies), {@code KernelLauncher} (every launch, its
 * error messages), {@code DevicePool} (caching allocator), {@code CudaTensor}; one class per op family
 * ({@code CudaConvolution}, {@code CudaPooling}, {@code CudaDense}, {@code CudaActivation},
 * {@code CudaSoftmaxLoss}, {@code CudaDropout}, {@code CudaNormalization}, {@code CudaOptimizers},
 * {@code CudaMemory}), each launching the kernels of kernels/&lt;family&gt;.cu; {@link
 * org.convnet4j.backend.cuda.CudaInfo} reports what loads and what does not.
 */
package org.convnet4j.backend.cuda;
