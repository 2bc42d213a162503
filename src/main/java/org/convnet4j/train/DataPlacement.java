package org.convnet4j.train;

import java.util.Locale;

import org.convnet4j.backend.Backend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.data.Dataset;

/**
 * Where the trainer keeps a data set's items ({@code --data-on-device}): ON uploads the whole set to the
 * backend once ({@link DeviceBatches}: each batch is gathered there from the epoch's order), OFF copies
 * every batch from the host ({@link BatchLoader}), AUTO holds it on the device where that pays, the CUDA
 * backend, and the set fits: at most {@value #MAX_DEVICE_BYTES} bytes of float32 items and int32 labels
 * (MNIST: 180 MiB; CIFAR-10: 586 MiB), and, once tried, the device has room for it. A set that gives other
 * items every epoch (an augmented or read-ahead image folder, {@link Dataset#variesPerEpoch}) always comes
 * from the host.
 */
public enum DataPlacement {
    AUTO, ON, OFF;

    /** The largest set AUTO holds on the device: 1 GiB. */
    public static final long MAX_DEVICE_BYTES = 1L << 30;

    /** "auto", "on" or "off", any case. */
    public static DataPlacement parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--data-on-device: expected auto, on or off, got " + value);
        }
    }

    /** Bytes data takes on a backend: its float32 items and int32 labels. */
    public static long deviceBytes(Dataset data) {
        return (long) data.size() * (4L * data.itemSize() + 4);
    }

    /**
     * Null when data is to be held on backend, else why not (for the trainer's start message).
     *
     * @throws IllegalArgumentException ON for a set that varies per epoch
     */
    String hostReason(Backend backend, Dataset data) {
        if (this == OFF) {
            return "--data-on-device off";
        }
        if (data.variesPerEpoch()) {
            if (this == ON) {
                throw new IllegalArgumentException("--data-on-device on: " + data.name() + " gives other items every"
                        + " epoch (augmentation or decoding ahead), so it is read from the host batch by batch; use"
                        + " --data-on-device auto or off");
            }
            return data.name() + " gives other items every epoch";
        }
        if (this == ON) {
            return null;
        }
        if (!(backend instanceof CudaBackend)) {
            return "the " + backend.name() + " backend's tensors are host memory already";
        }
        long bytes = deviceBytes(data);
        return bytes > MAX_DEVICE_BYTES ? String.format(Locale.ROOT, "%s takes %,d MiB, over the %,d MiB held on the"
                + " device", data.name(), bytes >> 20, MAX_DEVICE_BYTES >> 20) : null;
    }
}
