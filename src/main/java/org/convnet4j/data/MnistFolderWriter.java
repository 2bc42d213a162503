package org.convnet4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Writes MNIST as an image folder: dir/train/D/NNNNN.png and dir/test/D/NNNNN.png, D the digit (the class
 * folder), NNNNN the item's index in its IDX file, zero-padded so that sorted names keep the IDX order
 * within a class. Each PNG is 8-bit gray with the IDX bytes unchanged, so an {@link ImageFolderDataset}
 * with no resizing and MNIST's mean and std gives exactly the floats {@link MnistDataset} gives.
 */
public final class MnistFolderWriter {
    private MnistFolderWriter() {
    }

    /** Writes the training and test sets of the IDX files in dataDir under dir; returns the images written. */
    public static int writeBoth(Path dataDir, Path dir) {
        return write(IdxReader.readImages(MnistFiles.TRAIN_IMAGES.require(dataDir)),
                IdxReader.readLabels(MnistFiles.TRAIN_LABELS.require(dataDir)), 0, dir.resolve("train"))
                + write(IdxReader.readImages(MnistFiles.TEST_IMAGES.require(dataDir)),
                IdxReader.readLabels(MnistFiles.TEST_LABELS.require(dataDir)), 0, dir.resolve("test"));
    }

    /**
     * Writes the first limit images (0: all) with their labels as dir/label/NNNNN.png; dir must be absent or
     * empty. Returns the images written.
     */
    public static int write(IdxImages images, byte[] labels, int limit, Path dir) {
        int n = limit > 0 ? Math.min(limit, images.count()) : images.count();
        try {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    if (s.findAny().isPresent()) {
                        throw new DataFormatException(dir + " is not empty; choose an empty or new folder for the"
                                + " MNIST images, so no old image ends up in a class");
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                BufferedImage img = new BufferedImage(images.cols(), images.rows(), BufferedImage.TYPE_BYTE_GRAY);
                byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
                System.arraycopy(images.data(), images.offset() + i * images.imageSize(), px, 0, images.imageSize());
                Path classDir = Files.createDirectories(dir.resolve(Integer.toString(labels[i])));
                ImageIO.write(img, "png", classDir.resolve(String.format("%05d.png", i)).toFile());
            }
        } catch (IOException e) {
            throw new DataFormatException("cannot write MNIST images under " + dir + ": " + e, e);
        }
        return n;
    }
}
