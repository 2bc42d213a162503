package org.convnet4j.backend;

/**
 * A checked {@link Backend#copyChannels}: for each of n items, the channels [srcChannel, srcChannel +
 * channels) of src (srcChannels planes of inner values per item) go to [dstChannel, dstChannel + channels)
 * of dst (dstChannels planes per item). Element (i, k, j), k &lt; channels, is read at
 * ((i*srcChannels + srcChannel + k)*inner + j) and written at ((i*dstChannels + dstChannel + k)*inner + j).
 */
public record ChannelCopyGeometry(int n, int srcChannels, int dstChannels, int inner, int srcChannel, int dstChannel,
                                  int channels) {

    /** Elements copied: n * channels * inner. */
    public int size() {
        return n * channels * inner;
    }
}
