package org.convnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.convnet4j.cli.MainTest.Run;
import org.convnet4j.train.CheckpointFiles;
import org.convnet4j.train.RunSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train, resume and eval with --dataset folder:DIR from the command line, its errors, and bench-loader. */
class FolderTrainingCommandTest {
    @TempDir
    Path tmp;

    /** 24 color JPEGs of 32x30 in classes "dark" and "light", which LeNet-5 sees as 28x28 gray. */
    private Path folder() throws Exception {
        Path root = tmp.resolve("images");
        for (int i = 0; i < 24; i++) {
            boolean light = i % 2 == 1;
            BufferedImage img = new BufferedImage(32, 30, BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < 30; y++) {
                for (int x = 0; x < 32; x++) {
                    int v = (light ? 160 : 40) + (x * 3 + y * 5 + i * 7) % 60;
                    img.setRGB(x, y, v << 16 | v << 8 | (255 - v));
                }
            }
            Path f = root.resolve((light ? "light" : "dark") + "/" + i + ".jpg");
            Files.createDirectories(f.getParent());
            ImageIO.write(img, "jpg", f.toFile());
        }
        return root;
    }

    @Test
    void trainResumeAndEvalFromAnImageFolderWithASeededSplit() throws Exception {
        Path images = folder();
        Path run = tmp.resolve("run");
        Run r = MainTest.run("train", "--device", "cpu", "--dataset", "folder:" + images, "--test-split", "0.25",
                "--epochs", "1", "--batch", "6", "--loader-threads", "2", "--out", run.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("image folder: 2 classes, 18 training and 6 test images (seeded split)"), r.out());
        Map<String, Object> summary = RunSummary.read(run.resolve("summary.json"));
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) summary.get("data");
        assertEquals(List.of("dark", "light"), data.get("classes"));
        assertEquals(0.25, ((Number) data.get("test_split")).doubleValue());
        assertEquals(28, ((Number) ((Map<?, ?>) data.get("transform")).get("resize")).intValue());

        r = MainTest.run("train", "--device", "cpu", "--resume", run.toString(), "--epochs", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.exists(CheckpointFiles.forEpoch(run, 2)));

        r = MainTest.run("eval", "--device", "cpu", "--checkpoint", CheckpointFiles.forEpoch(run, 2).toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("of 6 images-test items correct"), r.out());
    }

    @Test
    void aFolderWithoutATestSetIsAUsageError() throws Exception {
        Run r = MainTest.run("train", "--device", "cpu", "--dataset", "folder:" + folder(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--test-dir DIR") && r.err().contains("--test-split F"), r.err());
    }

    @Test
    void aBrokenImageStopsTheRunBeforeTrainingAndNamesTheFile() throws Exception {
        Path images = folder();
        Path bad = images.resolve("light/zz.png");
        Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
        Path run = tmp.resolve("run");
        Run r = MainTest.run("train", "--device", "cpu", "--dataset", "folder:" + images, "--test-split", "0.25",
                "--epochs", "1", "--batch", "6", "--out", run.toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains(bad.toString()), r.err());
        assertFalse(Files.exists(run.resolve("metrics.csv")), "nothing trained");
    }

    @Test
    void benchLoaderPrintsATableAtTinySize() {
        Run r = MainTest.run("bench-loader", "--sizes", "40x30", "--images", "4", "--batch", "2", "--min-images", "2",
                "--threads", "1,2", "--model", "lenet5");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("| 40x30 | ") && r.out().lines().filter(l -> l.startsWith("| 40x30")).count() == 2,
                r.out());
    }
}
