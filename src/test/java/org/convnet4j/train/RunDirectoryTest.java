package org.convnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writeReplacesTheFileWholeAndLeavesNoTemporaryFile() throws Exception {
        Path f = dir.resolve(Trainer.METRICS);
        RunDirectory.write(f, "first\n".getBytes(StandardCharsets.UTF_8));
        RunDirectory.write(f, "second\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("second\n", Files.readString(f));
        assertEquals(List.of(Trainer.METRICS), names());
    }

    @Test
    void aFailedWriteKeepsTheOldFileAndRemovesItsTemporaryFile() throws Exception {
        Path blocked = Files.createDirectories(dir.resolve(Trainer.SUMMARY).resolve("inside"));
        assertThrows(IOException.class, () -> RunDirectory.write(dir.resolve(Trainer.SUMMARY), new byte[] {1}));
        assertTrue(Files.isDirectory(blocked));
        assertEquals(List.of(Trainer.SUMMARY), names(), "no temporary file left");
    }

    @Test
    void onlyTheRunsOwnTemporaryFilesCountAsStale() throws Exception {
        Path ours = RunDirectory.temporaryFor(CheckpointFiles.forEpoch(dir, 12));
        Files.write(ours, new byte[] {1});
        Files.writeString(dir.resolve("summary.json.tmp"), "{");
        Files.writeString(dir.resolve(".curves.png.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.tmp"), "");
        for (String keep : new String[] {"notes.tmp", ".bashrc.tmp", "metrics.csv"}) {
            Files.writeString(dir.resolve(keep), "x");
        }
        assertEquals(3, RunDirectory.removeStaleTemporaries(dir));
        assertEquals(List.of(".bashrc.tmp", "metrics.csv", "notes.tmp"), names());
    }

    @Test
    void aDirectoryHoldsARunWhenItHasMetricsOrACheckpoint() throws Exception {
        assertFalse(RunDirectory.holdsARun(dir));
        assertFalse(RunDirectory.holdsARun(dir.resolve("missing")));
        Files.writeString(dir.resolve("summary.json.tmp"), "{");
        assertFalse(RunDirectory.holdsARun(dir), "a stale temporary file is no run");
        Files.writeString(dir.resolve("checkpoint-epoch-007.ckpt"), "x");
        assertTrue(RunDirectory.holdsARun(dir));
    }

    @Test
    void anEmptyDirectoryIsRemovedAndAFullOneKept() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertTrue(RunDirectory.deleteIfEmpty(empty));
        assertFalse(Files.exists(empty));
        Files.writeString(dir.resolve("x"), "x");
        assertFalse(RunDirectory.deleteIfEmpty(dir));
        RunDirectory.syncDirectory(dir); // forces the directory's entries; must not throw on a real directory
    }
}
