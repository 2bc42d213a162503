package org.convnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path dir;

    private static void assertMessage(DataFormatException e, Path file, String... fragments) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), "message should name the file: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "message should contain '" + f + "': " + m);
        }
        assertTrue(!m.contains("\n"), "one paragraph: " + m);
    }

    @Test
    void readsImagesAndLabels() throws Exception {
        Path img = IdxFiles.write(dir.resolve("img"), IdxFiles.images(3));
        Path lab = IdxFiles.write(dir.resolve("lab"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 7, 0, 9));
        IdxImages images = IdxReader.readImages(img);
        assertEquals(3, images.count());
        assertEquals(28, images.rows());
        assertEquals((2 + 5 + 6) & 0xFF, images.pixel(2, 5, 6));
        assertArrayEquals(new byte[] {7, 0, 9}, IdxReader.readLabels(lab));
    }

    @Test
    void readsGzippedFilesWhateverTheirName() throws Exception {
        byte[] raw = IdxFiles.images(2);
        Path gz = IdxFiles.writeGzip(dir.resolve("train-images-idx3-ubyte.gz"), raw);
        IdxImages images = IdxReader.readImages(gz);
        assertEquals(2, images.count());
        assertEquals(255 & (1 + 27 + 27), images.pixel(1, 27, 27));
        Path lab = IdxFiles.writeGzip(dir.resolve("labels-no-suffix"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 4, 2));
        assertArrayEquals(new byte[] {4, 2}, IdxReader.readLabels(lab));
    }

    @Test
    void rejectsBadMagic() throws Exception {
        Path f = IdxFiles.write(dir.resolve("bad"), IdxFiles.images(0x12345678, 1, 28, 28));
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(f));
        assertMessage(e, f, "magic number", "2051");
    }

    @Test
    void rejectsALabelFileGivenAsImagesAndNamesTheSwap() throws Exception {
        Path f = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 1, 2, 3));
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(f));
        assertMessage(e, f, "2049", "1 dimension", "swapped");
    }

    @Test
    void rejectsTruncatedFiles() throws Exception {
        byte[] full = IdxFiles.images(3);
        Path f = IdxFiles.write(dir.resolve("short"), Arrays.copyOf(full, full.length - 100));
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readImages(f));
        assertMessage(e, f, "truncated", String.valueOf(full.length), String.valueOf(full.length - 100));

        Path header = IdxFiles.write(dir.resolve("header"), Arrays.copyOf(full, 10));
        assertMessage(assertThrows(DataFormatException.class, () -> IdxReader.readImages(header)), header, "truncated");

        Path tiny = IdxFiles.write(dir.resolve("tiny"), new byte[] {0, 0});
        assertMessage(assertThrows(DataFormatException.class, () -> IdxReader.readLabels(tiny)), tiny, "truncated");

        byte[] labels = IdxFiles.labels(IdxReader.LABELS_MAGIC, 1, 2, 3, 4);
        Path lab = IdxFiles.write(dir.resolve("lab"), Arrays.copyOf(labels, labels.length - 1));
        assertMessage(assertThrows(DataFormatException.class, () -> IdxReader.readLabels(lab)), lab, "truncated");
    }

    @Test
    void rejectsTrailingBytes() throws Exception {
        byte[] full = IdxFiles.images(1);
        Path f = IdxFiles.write(dir.resolve("long"), Arrays.copyOf(full, full.length + 5));
        assertMessage(assertThrows(DataFormatException.class, () -> IdxReader.readImages(f)), f, "5 unexpected");
    }

    @Test
    void rejectsImagesThatAreNot28x28() throws Exception {
        Path f = IdxFiles.write(dir.resolve("27"), IdxFiles.images(IdxReader.IMAGES_MAGIC, 2, 27, 28));
        assertMessage(assertThrows(DataFormatException.class, () -> IdxReader.readImages(f)), f, "27x28", "28x28");
    }

    @Test
    void rejectsLabelsOutOfRange() throws Exception {
        Path f = IdxFiles.write(dir.resolve("lab"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 3, 10, 1));
        assertMessage(assertThrows(DataFormatException.class, () -> IdxReader.readLabels(f)), f, "label 10",
                "index 1");
    }

    @Test
    void rejectsACorruptGzip() throws Exception {
        Path gz = IdxFiles.writeGzip(dir.resolve("x.gz"), IdxFiles.images(2));
        byte[] bytes = java.nio.file.Files.readAllBytes(gz);
        Path cut = IdxFiles.write(dir.resolve("cut.gz"), Arrays.copyOf(bytes, bytes.length / 2));
        assertMessage(assertThrows(DataFormatException.class, () -> IdxReader.readImages(cut)), cut, "gzip");
    }

    @Test
    void rejectsImageAndLabelCountsThatDisagree() throws Exception {
        IdxFiles.write(dir.resolve("train-images-idx3-ubyte"), IdxFiles.images(3));
        IdxFiles.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 1, 2));
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> MnistDataset.train(dir, 0, Shape.of(1, 28, 28)));
        assertMessage(e, dir.resolve("train-images-idx3-ubyte"), "3 images", "2 labels",
                dir.resolve("train-labels-idx1-ubyte").toString());
    }

    @Test
    void missingFilesSayHowToFetchThem() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> MnistDataset.test(dir, Shape.of(1, 28, 28)));
        assertTrue(e.getMessage().contains("./convnet4j fetch-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void itemsAreScaledNormalizedLimitedAndPadded() throws Exception {
        IdxFiles.write(dir.resolve("train-images-idx3-ubyte"), IdxFiles.images(4));
        IdxFiles.writeGzip(dir.resolve("train-labels-idx1-ubyte.gz"), IdxFiles.labels(IdxReader.LABELS_MAGIC, 5, 6, 7, 8));
        MnistDataset d = MnistDataset.train(dir, 3, Shape.of(1, 28, 28));
        assertEquals(3, d.size());
        float[] x = new float[2 * 784];
        int[] y = new int[2];
        d.copyBatch(new int[] {2, 0}, 0, 2, x, y);
        assertArrayEquals(new int[] {7, 5}, y);
        // item 2, pixel (1, 3) = 6; item 0, pixel (0, 0) = 0
        assertEquals((6 / 255f - MnistDataset.MEAN) / MnistDataset.STD, x[28 + 3], 1e-6);
        assertEquals(-MnistDataset.MEAN / MnistDataset.STD, x[784], 1e-6);

        MnistDataset padded = MnistDataset.train(dir, 0, Shape.of(1, 32, 32));
        float[] p = new float[32 * 32];
        padded.copyBatch(new int[] {1}, 0, 1, p, new int[1]);
        assertEquals(-MnistDataset.MEAN / MnistDataset.STD, p[0], 1e-6, "border is background");
        assertEquals((1 / 255f - MnistDataset.MEAN) / MnistDataset.STD, p[2 * 32 + 2], 1e-6, "digit centred");
    }
}
