package org.convnet4j.backend;

/**
 * Local response normalization across channels, as in AlexNet, with the convention of Caffe, cuDNN and
 * PyTorch (alpha is divided by the window size):
 * <pre>
 *   scale[n,c,h,w] = k + (alpha/size) * sum over c' in [c - size/2, c + size/2] (clipped to 0..C-1) of x[n,c',h,w]^2
 *   y = x * scale^(-beta)
 * </pre>
 * The window is centred on c, so size must be odd: as in Caffe, an even size is refused (it has no centre,
 * and libraries that take one disagree on which side gets the extra channel). AlexNet: size 5, alpha 1e-4,
 * beta 0.75, k 2.
 */
public record LrnSpec(int size, float alpha, float beta, float k) {
    public LrnSpec {
        if (size < 1 || size % 2 == 0) {
            throw new IllegalArgumentException("LRN window size must be odd and >= 1 (a window centred on the"
                    + " channel, as Caffe requires), got " + size);
        }
        if (!(k > 0)) {
            throw new IllegalArgumentException("LRN k must be > 0, got " + k);
        }
    }

    public static LrnSpec alexNet() {
        return new LrnSpec(5, 1e-4f, 0.75f, 2f);
    }
}
