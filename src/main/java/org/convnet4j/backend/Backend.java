package org.convnet4j.backend;

import java.util.List;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * The seam between layers and the hardware: every op the layers need, on tensors this backend owns.
 * One signature, two implementations (CpuBackend, CudaBackend); tests run each op on both and compare.
 *
 * <p>Conventions, for every method:
 * <ul>
 *   <li>Tensors are NCHW float32 unless a parameter says INT32. Every tensor argument must belong to
 *       this backend and be open.</li>
 *   <li>Arguments are checked before any computation, by {@link OpChecks}, the same on every backend: a
 *       wrong rank, size, channel count or data type throws IllegalArgumentException naming the op, the
 *       shapes and, for convolution and pooling, the output-size formula; a closed backend, a closed
 *       tensor or a view of closed storage throws IllegalStateException.</li>
 *   <li>NaN, PyTorch's rule: NaN propagates through the arithmetic, and where an op compares values
 *       it is the larger: ReLU forward keeps it (y = x &lt; 0 ? 0 : x); max pooling outputs NaN when its
 *       window holds one (the switch points at the first); a softmax loss row with a NaN logit gets NaN
 *       probabilities and makes the loss NaN. Backward passes compare the forward output: ReLU's passes
 *       dy where y &gt; 0, so not through a NaN. argmax of a row holding NaN is unspecified.</li>
 *   <li>Outputs are passed in, allocated by the caller, so a training step can reuse them and allocate
 *       nothing after its first iteration. An output is overwritten unless its parameter says
 *       "accumulates", in which case the result is added to what it holds (parameter gradients
 *       accumulate; zero them with {@link #fill}).</li>
 *   <li>Ops are asynchronous on a device backend: {@link #download} and {@link #synchronize} wait.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** Short name: "cpu" or "cuda". */
    String name();

    /** One line for people: the device and, on a GPU, the GEMM provider. */
    String description();

    // ---------------------------------------------------------------- memory

    /** A new tensor filled with zeros. */
    Tensor allocate(Shape shape, DataType dataType);

    default Tensor allocate(Shape shape) {
        return allocate(shape, DataType.FLOAT32);
    }

    /** A new FLOAT32 tensor holding a copy of values (values.length must equal shape.size()). */
    default Tensor tensor(Shape shape, float[] values) {
        Tensor t = allocate(shape, DataType.FLOAT32);
        upload(values, t);
        return t;
    }

    /** A new INT32 tensor holding a copy of values. */
    default Tensor intTensor(Shape shape, int[] values) {
        Tensor t = allocate(shape, DataType.INT32);
        upload(values, t);
        return t;
    }

    /** Copies host values into a FLOAT32 tensor of the same size. */
    void upload(float[] src, Tensor dst);

    /** Copies host values into an INT32 tensor of the same size. */
    void upload(int[] src, Tensor dst);

    /** Copies a FLOAT32 tensor to host memory of the same size; waits for pending work. */
    void download(Tensor src, float[] dst);

    /** Copies an INT32 tensor to host memory of the same size; waits for pending work. */
    void download(Tensor src, int[] dst);

    default float[] toFloatArray(Tensor t) {
        float[] a = new float[t.size()];
        download(t, a);
        return a;
    }

    default int[] toIntArray(Tensor t) {
        int[] a = new int[t.size()];
        download(t, a);
        return a;
    }

    /**
     * Starts copying a FLOAT32 tensor to the host behind every op issued so far, without waiting for it: a
     * trainer reads its per-batch tallies this way every few steps without stalling the device. The CPU
     * backend reads at once; the CUDA backend copies into a pinned buffer and records an event, and
     * {@link PendingDownload#get} waits for that event. A pending download stays readable until the second
     * download started after it.
     */
    PendingDownload downloadLater(Tensor src);

    /** Sets every element of a FLOAT32 tensor to value (NaN too: tests poison outputs with it). */
    void fill(Tensor t, float value);

    /** dst = src, same size and data type (shapes may differ). */
    void copy(Tensor src, Tensor dst);

    /**
     * Builds a batch from a data set held by this backend: dst[i, ...] = src[order[first + i], ...] for
     * i &lt; B, where src is [N, ...] and dst [B, ...] with the same per-row shape and type (FLOAT32 images or
     * INT32 labels), and order INT32 [M] holds row numbers in [0, N) (an epoch's permutation, uploaded once).
     * Values are copied as bits. first + B &lt;= M. A row number outside [0, N) is an error where the backend
     * can see it (the CPU backend checks; the CUDA kernel does not read order's values on the host).
     */
    void gatherRows(Tensor src, Tensor order, int first, Tensor dst);

    /** Waits until every op issued so far has finished. */
    void synchronize();

    /** Memory counters (tensors, workspaces, the pool's cache). */
    MemoryStats memoryStats();

    // ---------------------------------------------------------------- dense algebra

    /**
     * Row-major SGEMM on rank-2 tensors: c = alpha * op(a) * op(b) + beta * c, where op(a) is a or its
     * transpose. op(a) is [M, K], op(b) is [K, N], c is [M, N].
     */
    void gemm(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor c, float alpha, float beta);

    /**
     * Fully connected layer: y = x * w^T + bias. x is [N, K] (any rank: flattened per item), w is [M, K],
     * bias is [M] or null, y is [N, M].
     */
    void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y);

    /**
     * Fully connected backward: dx = dy * w (overwritten; may be null when not needed),
     * dw += dy^T * x (accumulates), dbias += column sums of dy (accumulates; null when no bias).
     */
    void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor dbias);

    /** y[n, c, ...] += bias[c] for a tensor of rank &gt;= 2 (channel is dimension 1). */
    void addBias(Tensor y, Tensor bias);

    /** dbias[c] += sum over n and spatial positions of dy[n, c, ...] (accumulates). */
    void biasGradient(Tensor dy, Tensor dbias);

    // ---------------------------------------------------------------- convolution

    /**
     * y = conv(x, w) + bias, by im2col and GEMM. x [N,C,H,W], w [FN,C,FH,FW], bias [FN] or null,
     * y [N,FN,OH,OW] as {@link ConvSpec#outputShape} gives.
     */
    void conv2dForward(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor y);

    /** dx = col2im(w^T * dy), overwritten. Shapes as in forward. */
    void conv2dBackwardData(Tensor dy, Tensor w, ConvSpec spec, Tensor dx);

    /**
     * dw += dy * col(x)^T summed over the batch (accumulates), dbias += sums of dy per output channel
     * (accumulates; null when there is no bias).
     */
    void conv2dBackwardFilter(Tensor x, Tensor dy, ConvSpec spec, Tensor dw, Tensor dbias);

    /**
     * Both backward passes of a convolution layer: dw (and dbias) as {@link #conv2dBackwardFilter}, then dx as
     * {@link #conv2dBackwardData} when dx is not null. A backend may share work between the two (the CUDA
     * backend copies dy to its GEMM layout once per chunk of images instead of once per pass); the results are
     * those of the two calls.
     */
    default void conv2dBackward(Tensor x, Tensor dy, Tensor w, ConvSpec spec, Tensor dx, Tensor dw, Tensor dbias) {
        conv2dBackwardFilter(x, dy, spec, dw, dbias);
        if (dx != null) {
            conv2dBackwardData(dy, w, spec, dx);
        }
    }

    /**
     * One line per convolution pass this backend has run, in first-use order: the shapes, the pass, the
     * algorithm and why it was chosen ({@link ConvAlgorithms}). Empty for a backend with one algorithm.
     */
    default List<String> convAlgorithmsUsed() {
        return List.of();
    }

    // ---------------------------------------------------------------- pooling

    /**
     * Max pooling. y [N,C,OH,OW] gets each window's maximum; switches (INT32, same shape as y) gets its
     * position h*W + w within the input plane [H, W] of the same n and c. Ties go to the first position
     * in row-major window order. Padded positions are never chosen. A NaN in a window is its maximum
     * (the first NaN, when there are several), as in PyTorch.
     */
    void maxPoolForward(Tensor x, PoolSpec spec, Tensor y, Tensor switches);

    /**
     * dx (overwritten, shape of the forward input) = the sum of dy over every output whose switch points
     * at that input position. Overlapping windows that share a maximum both route to it.
     */
    void maxPoolBackward(Tensor dy, Tensor switches, PoolSpec spec, Tensor dx);

    /** Average pooling; padding counts as zeros, every window divides by kernelH*kernelW. */
    void avgPoolForward(Tensor x, PoolSpec spec, Tensor y);

    /** dx (overwritten) = each input's share of dy over the windows that contain it. */
    void avgPoolBackward(Tensor dy, PoolSpec spec, Tensor dx);

    /**
     * Global average pooling: y [N, C, 1, 1] = the mean of each plane of x [N, C, H, W], its H*W values
     * summed in row-major order in float, then divided by H*W.
     */
    void globalAvgPoolForward(Tensor x, Tensor y);

    /** dx [N, C, H, W] (overwritten) = dy [N, C, 1, 1] / (H*W) at every position of its plane. */
    void globalAvgPoolBackward(Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- merge

    /**
     * y = a + b element-wise, all of one shape; y may be a or b. A residual block's sum, and the sum of a
     * fan-out's gradients (add(g, dy, g) accumulates).
     */
    void add(Tensor a, Tensor b, Tensor y);

    /**
     * Copies channels [srcChannel, srcChannel + channels) of src [N, Cs, ...] into channels
     * [dstChannel, dstChannel + channels) of dst [N, Cd, ...] (same N and sizes after the channel), leaving
     * dst's other channels as they are. One strided copy per branch concatenates branches along the
     * channels (forward) and splits the gradient back into them (backward).
     */
    void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int channels);

    // ---------------------------------------------------------------- activations

    /** y = f(x) element-wise; y may be x. ReLU keeps NaN (y = x &lt; 0 ? 0 : x); sigmoid and tanh too. */
    void activationForward(Activation f, Tensor x, Tensor y);

    /** dx = dy * f'(from y), where y is the forward output; dx may be dy. ReLU: dx = y &gt; 0 ? dy : 0. */
    void activationBackward(Activation f, Tensor y, Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- loss

    /**
     * Numerically stable softmax and mean cross-entropy. logits [N, K] (any rank: flattened per item),
     * labels INT32 [N] with values in [0, K), probs [N, K] gets the softmax, loss [1] gets
     * -(1/N) * sum log probs[n, label[n]]. A row with a NaN logit gets NaN probabilities, and the loss is
     * NaN. A label out of range is an error where the backend can see it (the CPU backend checks; the
     * CUDA kernel writes NaN into loss).
     */
    void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor probs, Tensor loss);

    /** dlogits = (probs - onehot(labels)) / N, overwritten. */
    void softmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor dlogits);

    /** out (INT32 [N]) = index of the largest value in each row of x [N, K]; ties go to the lowest index. */
    void argmax(Tensor x, Tensor out);

    /**
     * Records one batch's outcome in a per-batch table, on the device, so that a trainer reads it once per
     * epoch (or every few steps) instead of after every step: tallies[slot, 1] = the number of i &lt; count
     * with predictions[i] == labels[i] (an integer, exact in float32 as count &lt;= 2^24), and, with loss,
     * tallies[slot, 0] = loss[0] (bits copied; without loss that column is left alone). predictions and
     * labels INT32 [B], 0 &lt;= count &lt;= B, loss FLOAT32 [1] (optional), tallies FLOAT32 [S, 2], 0 &lt;= slot
     * &lt; S.
     */
    void tallyBatch(Tensor predictions, Tensor labels, int count, Tensor loss, Tensor tallies, int slot);

    // ---------------------------------------------------------------- regularization

    /**
     * Inverted dropout: mask[i] = {@link DropoutMask#value}(seed, i, p), y = x * mask. Same mask on every
     * backend for the same seed. 0 &lt;= p &lt; 1.
     */
    void dropoutForward(Tensor x, float p, long seed, Tensor mask, Tensor y);

    /** dx = dy * mask; dx may be dy. */
    void dropoutBackward(Tensor dy, Tensor mask, Tensor dx);

    /** Local response normalization across channels; scale (same shape as x) keeps k + alpha/n * sum x^2. */
    void lrnForward(Tensor x, LrnSpec spec, Tensor scale, Tensor y);

    /** LRN backward from the forward's x, y and scale; dx overwritten. */
    void lrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, LrnSpec spec, Tensor dx);

    /**
     * Batch normalization in training mode, per channel over N, H and W (x rank 4 [N,C,H,W] or rank 2
     * [N,C]). Normalizes with the batch mean and biased variance; y = gamma * xhat + beta. Keeps
     * saveMean and saveInvStd = 1/sqrt(var + eps) [C] for backward; updates the running statistics as
     * PyTorch does: running = (1 - momentum) * running + momentum * batch, the variance unbiased.
     */
    void batchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float eps,
                                  Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                  Tensor y);

    /** Batch normalization in inference mode: normalizes with the running statistics. */
    void batchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float eps, Tensor y);

    /** Batch normalization backward: dx overwritten, dgamma and dbeta accumulate. */
    void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta);

    // ---------------------------------------------------------------- optimizer updates, in place
    // Each first forms g = grad + weightDecay * param.

    /** param -= lr * g. */
    void sgdUpdate(Tensor param, Tensor grad, float lr, float weightDecay);

    /**
     * v = momentum * v + g; param -= lr * v, or with nesterov param -= lr * (g + momentum * v)
     * (PyTorch's formulation).
     */
    void momentumUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                        float weightDecay, boolean nesterov);

    /** sum += g^2; param -= lr * g / (sqrt(sum) + eps). */
    void adagradUpdate(Tensor param, Tensor grad, Tensor sumSquares, float lr, float eps, float weightDecay);

    /** ms = decay * ms + (1 - decay) * g^2; param -= lr * g / (sqrt(ms) + eps). */
    void rmspropUpdate(Tensor param, Tensor grad, Tensor meanSquare, float lr, float decay, float eps,
                       float weightDecay);

    /**
     * m = beta1 m + (1-beta1) g; v = beta2 v + (1-beta2) g^2;
     * param -= lr * (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps). step starts at 1.
     */
    void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                    float eps, float weightDecay, int step);

    /** Frees the backend's workspaces and pool. Tensors still open must not be used afterwards. */
    @Override
    void close();
}
