package org.convnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.convnet4j.models.Models;
import org.convnet4j.tensor.Shape;
import org.convnet4j.train.EpochOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {
    private static final float[] HALF = {0.5f};
    private static final float[] QUARTER = {0.25f};

    @TempDir
    Path tmp;

    /** An image whose pixel (x, y), channel c is (x * 7 + y * 13 + c * 50 + salt) mod 256. */
    static BufferedImage pattern(int w, int h, int type, int salt) {
        BufferedImage img = new BufferedImage(w, h, type);
        int bands = img.getRaster().getNumBands();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < bands; c++) {
                    img.getRaster().setSample(x, y, c, (x * 7 + y * 13 + c * 50 + salt) & 0xFF);
                }
            }
        }
        return img;
    }

    static Path write(BufferedImage img, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        String format = file.toString().endsWith(".png") ? "png" : "jpg";
        assertTrue(ImageIO.write(img, format, file.toFile()), "no ImageIO writer for " + format);
        return file;
    }

    private static float[] items(Dataset d, int... indices) {
        float[] out = new float[indices.length * d.itemSize()];
        d.copyBatch(indices, 0, indices.length, out, new int[indices.length]);
        return out;
    }

    @Test
    void classesAreSortedFolderNamesAndOtherFilesAreSkippedAndCounted() throws IOException {
        for (String c : new String[] {"dog", "cat", "ant"}) {
            write(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY, 1), tmp.resolve(c + "/b.png"));
            write(pattern(8, 8, BufferedImage.TYPE_3BYTE_BGR, 2), tmp.resolve(c + "/a.JPG"));
        }
        Files.writeString(tmp.resolve("README.txt"), "not a class");
        Files.writeString(tmp.resolve("cat/notes.txt"), "not an image");
        Files.writeString(tmp.resolve("cat/.DS_Store"), "");
        Files.createDirectories(tmp.resolve(".cache"));

        ImageFolder f = ImageFolder.scan(tmp);
        assertEquals(List.of("ant", "cat", "dog"), f.classes());
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, f.labels());
        assertEquals(tmp.resolve("ant/a.JPG"), f.files().get(0));
        assertEquals(tmp.resolve("ant/b.png"), f.files().get(1));
        assertEquals(4, f.skipped().size(), "README.txt, .cache, notes.txt, .DS_Store: " + f.skipped());
    }

    @Test
    void grayPngWithoutResizingGivesExactlyTheNormalizedPixelsOfTheCentreCrop() throws IOException {
        BufferedImage img = pattern(6, 5, BufferedImage.TYPE_BYTE_GRAY, 3);
        write(img, tmp.resolve("only/x.png"));
        ImageTransform t = new ImageTransform(1, 4, 0, true, true, HALF, QUARTER);
        try (DecodePool pool = new DecodePool(2, 2)) {
            ImageFolderDataset d = new ImageFolderDataset("t", ImageFolder.scan(tmp), t, false, 1, pool, Map.of());
            float[] out = items(d, 0);
            int top = (5 - 4) / 2;
            int left = (6 - 4) / 2;
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    int p = img.getRaster().getSample(left + x, top + y, 0);
                    assertEquals((p / 255f - 0.5f) / 0.25f, out[y * 4 + x], 0f, "pixel " + y + "," + x);
                }
            }
        }
    }

    @Test
    void grayAndColorImagesFeedGrayAndColorModels() throws IOException {
        BufferedImage gray = pattern(4, 4, BufferedImage.TYPE_BYTE_GRAY, 5);
        BufferedImage rgb = pattern(4, 4, BufferedImage.TYPE_3BYTE_BGR, 9);
        DecodedImage g3 = ImageDecoder.decode(write(gray, tmp.resolve("g.png")), 3);
        DecodedImage c1 = ImageDecoder.decode(write(rgb, tmp.resolve("c.png")), 1);
        DecodedImage c3 = ImageDecoder.decode(tmp.resolve("c.png"), 3);
        for (int i = 0; i < 16; i++) {
            int x = i % 4;
            int y = i / 4;
            int v = gray.getRaster().getSample(x, y, 0);
            assertArrayEquals(new byte[] {(byte) v, (byte) v, (byte) v}, Arrays.copyOfRange(g3.pixels(), 3 * i, 3 * i + 3));
            int r = rgb.getRaster().getSample(x, y, 0);
            int gg = rgb.getRaster().getSample(x, y, 1);
            int b = rgb.getRaster().getSample(x, y, 2);
            assertArrayEquals(new byte[] {(byte) r, (byte) gg, (byte) b}, Arrays.copyOfRange(c3.pixels(), 3 * i, 3 * i + 3));
            assertEquals(Math.round(0.299 * r + 0.587 * gg + 0.114 * b), c1.pixels()[i] & 0xFF, 1);
        }
        // A JPEG is lossy: a flat color comes back within a few levels.
        BufferedImage flat = new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                flat.setRGB(x, y, 0x40A0E0);
            }
        }
        DecodedImage j = ImageDecoder.decode(write(flat, tmp.resolve("f.jpg")), 3);
        assertEquals(0x40, j.pixels()[0] & 0xFF, 4);
        assertEquals(0xA0, j.pixels()[1] & 0xFF, 4);
        assertEquals(0xE0, j.pixels()[2] & 0xFF, 4);
    }

    @Test
    void resizingMakesTheShorterSideTheGivenLengthAndKeepsFlatImagesFlat() throws IOException {
        ImageTransform t = new ImageTransform(3, 8, 10, false, false, new float[3], new float[] {1, 1, 1});
        assertArrayEquals(new int[] {10, 25}, t.resized(20, 50));
        assertArrayEquals(new int[] {15, 10}, t.resized(31, 20));
        BufferedImage flat = new BufferedImage(31, 20, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 31; x++) {
                flat.setRGB(x, y, 0x336699);
            }
        }
        float[] out = new float[t.itemSize()];
        t.apply(ImageDecoder.decode(write(flat, tmp.resolve("flat.png")), 3), null, out, 0);
        for (int i = 0; i < out.length; i++) {
            assertEquals(new int[] {0x33, 0x66, 0x99}[i / 64] / 255f, out[i], 1e-6f, "float " + i);
        }
    }

    @Test
    void trainingFlipsAboutHalfTheImagesAndCropsAtRandomPositions() throws IOException {
        write(pattern(12, 12, BufferedImage.TYPE_BYTE_GRAY, 0), tmp.resolve("a/x.png"));
        ImageFolder f = ImageFolder.scan(tmp);
        try (DecodePool pool = new DecodePool(1, 1)) {
            ImageTransform flipOnly = new ImageTransform(1, 8, 0, false, true, HALF, QUARTER);
            float[] centre = items(new ImageFolderDataset("e", f, flipOnly, false, 1, pool, Map.of()), 0);
            ImageFolderDataset train = new ImageFolderDataset("t", f, flipOnly, true, 1, pool, Map.of());
            int flipped = 0;
            for (int epoch = 1; epoch <= 16; epoch++) {
                float[] got = items(train.forEpoch(epoch, new int[] {0}, 1), 0);
                boolean mirrored = true;
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        mirrored &= got[y * 8 + x] == centre[y * 8 + 7 - x];
                    }
                }
                assertTrue(mirrored || Arrays.equals(got, centre), "epoch " + epoch + ": neither the centre crop nor its mirror");
                flipped += mirrored ? 1 : 0;
            }
            assertTrue(flipped > 2 && flipped < 14, "flips in 16 epochs: " + flipped);

            ImageTransform cropOnly = new ImageTransform(1, 8, 0, true, false, HALF, QUARTER);
            ImageFolderDataset crops = new ImageFolderDataset("c", f, cropOnly, true, 1, pool, Map.of());
            long distinct = java.util.stream.IntStream.rangeClosed(1, 16)
                    .mapToObj(e -> Arrays.toString(items(crops.forEpoch(e, new int[] {0}, 1), 0))).distinct().count();
            assertTrue(distinct > 4, "random crops of 8 in 12 over 16 epochs: only " + distinct + " distinct");
        }
    }

    /** 12 color images of two sizes in three classes. */
    private ImageFolder colorFolder() throws IOException {
        for (int i = 0; i < 12; i++) {
            BufferedImage img = i % 2 == 0 ? pattern(40, 30, BufferedImage.TYPE_3BYTE_BGR, i * 17)
                    : pattern(25, 33, BufferedImage.TYPE_3BYTE_BGR, i * 17);
            write(img, tmp.resolve("c" + (i % 3) + "/" + i + (i % 4 == 0 ? ".png" : ".jpg")));
        }
        return ImageFolder.scan(tmp);
    }

    @Test
    void anEpochsFloatsAreTheSameForOneTwoAndFourThreads() throws IOException {
        ImageFolder f = colorFolder();
        ImageTransform t = new ImageTransform(3, 16, 20, true, true, ImageTransform.IMAGENET_MEAN, ImageTransform.IMAGENET_STD);
        int[] order = EpochOrder.permutation(5, 2, f.size());
        float[] reference = null;
        for (int threads : new int[] {1, 2, 4}) {
            try (DecodePool pool = new DecodePool(threads, 2)) {
                ImageFolderDataset d = new ImageFolderDataset("t", f, t, true, 5, pool, Map.of());
                Dataset epoch = d.forEpoch(2, order, 4);
                float[] all = new float[12 * d.itemSize()];
                float[] batch = new float[4 * d.itemSize()];
                int[] labels = new int[4];
                for (int s = 0; s < 3; s++) {
                    epoch.copyBatch(order, s * 4, 4, batch, labels);
                    System.arraycopy(batch, 0, all, s * batch.length, batch.length);
                    for (int b = 0; b < 4; b++) {
                        assertEquals(f.labels()[order[s * 4 + b]], labels[b]);
                    }
                }
                if (reference == null) {
                    reference = all;
                    // Decoded on the spot (not read ahead), item by item: the same floats.
                    for (int i = 0; i < 12; i++) {
                        float[] one = items(d.forEpoch(2, order, 4), order[i]);
                        assertArrayEquals(Arrays.copyOfRange(all, i * d.itemSize(), (i + 1) * d.itemSize()), one, 0f);
                    }
                    assertFalse(Arrays.equals(all, items(d.forEpoch(3, order, 4), order)), "epoch 3 augments differently");
                } else {
                    assertArrayEquals(reference, all, 0f, threads + " threads");
                }
            }
        }
    }

    @Test
    void theModelsGetTheirInputSizes() throws IOException {
        ImageFolder f = colorFolder();
        try (DecodePool pool = new DecodePool(2, 1)) {
            for (String model : Models.names()) {
                Shape input = Models.inputShape(model);
                ImageFolderDataset d = new ImageFolderDataset(model, f, ImageTransform.defaults(input), true, 1, pool, Map.of());
                assertEquals(input, d.itemShape(), model);
                float[] out = items(d.forEpoch(1, new int[] {0, 1}, 2), 0, 1);
                assertTrue(Float.isFinite(out[out.length - 1]), model);
            }
        }
    }

    @Test
    void aSplitIsSeededAndTakesTheFractionOfEachClass() throws IOException {
        for (int i = 0; i < 20; i++) {
            write(pattern(4, 4, BufferedImage.TYPE_BYTE_GRAY, i), tmp.resolve((i < 10 ? "a" : "b") + "/" + i + ".png"));
        }
        ImageFolder f = ImageFolder.scan(tmp);
        ImageFolder[] s1 = f.split(0.2, 7);
        assertEquals(16, s1[0].size());
        assertEquals(4, s1[1].size());
        assertArrayEquals(new int[] {0, 0, 1, 1}, s1[1].labels());
        assertEquals(s1[1].files(), f.split(0.2, 7)[1].files());
        assertNotEquals(s1[1].files(), f.split(0.2, 8)[1].files());
        assertTrue(s1[0].files().stream().noneMatch(s1[1].files()::contains));
    }

    // ---- bad input -------------------------------------------------------------------------------

    @Test
    void aFileThatIsNotAnImageIsNamedBeforeAnyTraining() throws IOException {
        write(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY, 0), tmp.resolve("a/ok.png"));
        Path bad = tmp.resolve("a/broken.jpg");
        Files.writeString(bad, "this is text, not a JPEG");
        ImageTransform t = new ImageTransform(1, 8, 0, false, false, HALF, QUARTER);
        try (DecodePool pool = new DecodePool(2, 1)) {
            DataFormatException e = assertThrows(DataFormatException.class,
                    () -> new ImageFolderDataset("t", ImageFolder.scan(tmp), t, true, 1, pool, Map.of()));
            assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("not a readable JPEG or PNG"),
                    e.getMessage());
        }
    }

    @Test
    void aTruncatedJpegIsNamedWhenItsBatchIsDecoded() throws IOException {
        Path jpeg = write(pattern(64, 64, BufferedImage.TYPE_3BYTE_BGR, 0), tmp.resolve("a/cut.jpg"));
        byte[] whole = Files.readAllBytes(jpeg);
        Files.write(jpeg, Arrays.copyOf(whole, whole.length * 2 / 3));
        ImageTransform t = new ImageTransform(3, 32, 0, false, false, ImageTransform.IMAGENET_MEAN, ImageTransform.IMAGENET_STD);
        try (DecodePool pool = new DecodePool(2, 1)) {
            ImageFolderDataset d = new ImageFolderDataset("t", ImageFolder.scan(tmp), t, true, 1, pool, Map.of());
            DataFormatException e = assertThrows(DataFormatException.class, () -> items(d.forEpoch(1, new int[] {0}, 1), 0));
            assertTrue(e.getMessage().startsWith(jpeg + " is damaged"), e.getMessage());
        }
    }

    @Test
    void anEmptyClassFolderIsNamed() throws IOException {
        write(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY, 0), tmp.resolve("a/ok.png"));
        Files.createDirectories(tmp.resolve("b"));
        Files.writeString(tmp.resolve("b/readme.md"), "no images here");
        DataFormatException e = assertThrows(DataFormatException.class, () -> ImageFolder.scan(tmp));
        assertTrue(e.getMessage().contains("class folder " + tmp.resolve("b") + " holds no"), e.getMessage());
    }

    @Test
    void aFolderWithNoClassesOrNoFolderAtAllIsRefused() throws IOException {
        Files.writeString(tmp.resolve("x.png"), "a file at the top, no class folder");
        DataFormatException e = assertThrows(DataFormatException.class, () -> ImageFolder.scan(tmp));
        assertTrue(e.getMessage().contains("has no class folders"), e.getMessage());
        e = assertThrows(DataFormatException.class, () -> ImageFolder.scan(tmp.resolve("missing")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void withoutResizingAnImageSmallerThanTheInputIsNamed() throws IOException {
        write(pattern(40, 30, BufferedImage.TYPE_3BYTE_BGR, 0), tmp.resolve("a/big.png"));
        Path small = write(pattern(10, 12, BufferedImage.TYPE_3BYTE_BGR, 0), tmp.resolve("a/small.png"));
        ImageTransform t = new ImageTransform(3, 16, 0, true, false, ImageTransform.IMAGENET_MEAN, ImageTransform.IMAGENET_STD);
        try (DecodePool pool = new DecodePool(2, 1)) {
            DataFormatException e = assertThrows(DataFormatException.class,
                    () -> new ImageFolderDataset("t", ImageFolder.scan(tmp), t, true, 1, pool, Map.of()));
            assertTrue(e.getMessage().startsWith(small + " is 10x12 pixels"), e.getMessage());
            // Mixed sizes are fine once the shorter side is resized.
            ImageTransform resized = new ImageTransform(3, 16, 16, true, false, t.mean(), t.std());
            assertEquals(2, new ImageFolderDataset("t", ImageFolder.scan(tmp), resized, true, 1, pool, Map.of()).size());
        }
    }

    @Test
    void aTestFolderWithOtherClassesIsRefused() throws IOException {
        write(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY, 0), tmp.resolve("train/a/1.png"));
        write(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY, 0), tmp.resolve("train/b/1.png"));
        write(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY, 0), tmp.resolve("test/a/1.png"));
        write(pattern(8, 8, BufferedImage.TYPE_BYTE_GRAY, 0), tmp.resolve("test/c/1.png"));
        ImageTransform t = new ImageTransform(1, 8, 0, false, false, HALF, QUARTER);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> ImageFolderSets.open(tmp.resolve("train"), tmp.resolve("test"), 0, t, 1, 1, true));
        assertTrue(e.getMessage().contains("[a, c]") && e.getMessage().contains("[a, b]"), e.getMessage());
    }

    @Test
    void theSeedOfAnItemDependsOnSeedEpochAndIndex() {
        long a = ImageFolderDataset.itemSeed(1, 1, 0);
        assertNotEquals(a, ImageFolderDataset.itemSeed(2, 1, 0));
        assertNotEquals(a, ImageFolderDataset.itemSeed(1, 2, 0));
        assertNotEquals(a, ImageFolderDataset.itemSeed(1, 1, 1));
        assertEquals(a, ImageFolderDataset.itemSeed(1, 1, 0));
    }
}
