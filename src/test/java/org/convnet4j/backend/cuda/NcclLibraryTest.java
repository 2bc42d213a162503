package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where NcclLibrary looks for libnccl.so.2, in which order, and what it says: with a made-up environment
 * and home, fake files in temporary folders, and System.load for real where a fake must fail to load.
 */
class NcclLibraryTest {
    @TempDir
    Path tmp;

    private final List<Path> loadAttempts = new ArrayList<>();

    private NcclLibrary search(Map<String, String> env, String property, Path home, String failFor) {
        return new NcclLibrary(env::get, property, home, file -> {
            loadAttempts.add(file);
            return !failFor.isEmpty() && file.toString().contains(failFor) ? "not an ELF file" : null;
        });
    }

    private Path fakeLibrary(String dir) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(dir));
        return Files.writeString(d.resolve(NcclLibrary.SONAME), "not a shared library");
    }

    @Test
    void theUsersFileThatDoesNotLoadStopsTheSearchWithItsNameAndTheLoadersReason() throws Exception {
        Path fake = fakeLibrary("mine");
        Path other = fakeLibrary("venv/lib/python3.12/site-packages/nvidia/nccl/lib");
        Map<String, String> env = Map.of(NcclLibrary.ENV, fake.toString(), "VIRTUAL_ENV", tmp.resolve("venv").toString());
        // the real loader: System.load of a text file fails
        NcclLibrary.Outcome o = new NcclLibrary(env::get, null, tmp, f -> {
            loadAttempts.add(f);
            try {
                System.load(f.toString());
                return null;
            } catch (UnsatisfiedLinkError e) {
                return "System.load failed: " + e.getMessage();
            }
        }).search();
        assertNull(o.used());
        assertEquals(List.of(fake), loadAttempts, "the venv's copy is not tried: the user named a file");
        assertTrue(o.failed().startsWith("CONVNET4J_NCCL names " + fake + ", which does not load: System.load failed: "),
                o.failed());
        assertTrue(o.describe().contains(fake.toString()), o.describe());
        assertTrue(Files.exists(other));
    }

    @Test
    void thePropertyWinsOverTheEnvironmentAndMayNameAFolder() throws Exception {
        Path byProperty = fakeLibrary("p");
        Path byEnv = fakeLibrary("e");
        NcclLibrary.Outcome o = search(Map.of(NcclLibrary.ENV, byEnv.toString()), byProperty.getParent().toString(),
                tmp, "").search();
        assertEquals(byProperty, o.used());
        assertEquals("libnccl.so.2: " + byProperty + " (-Dconvnet4j.nccl)", o.describe());
    }

    @Test
    void aNameThatIsNoFileIsSaidSo() {
        NcclLibrary.Outcome o = search(Map.of(NcclLibrary.ENV, tmp.resolve("missing").toString()), null, tmp, "")
                .search();
        assertEquals("CONVNET4J_NCCL=" + tmp.resolve("missing") + " names no file", o.failed());
        assertTrue(loadAttempts.isEmpty());
    }

    @Test
    void ldLibraryPathComesBeforeCudaAndPythonPackagesAndAFileThatFailsIsSkipped() throws Exception {
        Path first = fakeLibrary("ld1");
        Path second = fakeLibrary("ld2");
        Path conda = fakeLibrary("conda/lib/python3.11/site-packages/nvidia/nccl/lib");
        Map<String, String> env = Map.of("LD_LIBRARY_PATH", first.getParent() + "::" + second.getParent(),
                "CONDA_PREFIX", tmp.resolve("conda").toString());
        NcclLibrary.Outcome o = search(env, null, tmp, "ld1").search();
        assertEquals(second, o.used(), "ld1's copy does not load, ld2's does");
        assertEquals(List.of(first, second), loadAttempts);
        assertEquals("LD_LIBRARY_PATH", o.from());
        assertTrue(o.tried().contains("LD_LIBRARY_PATH: " + first + ": not an ELF file"), o.tried().toString());
        assertTrue(Files.exists(conda));
    }

    @Test
    void pythonPackagesOfAVenvOnThePathAndOfTheHomeFolderAreFound() throws Exception {
        Path venv = tmp.resolve("opt/torch/.venv");
        Files.createDirectories(venv.resolve("bin"));
        Files.writeString(venv.resolve("bin/python3"), "");
        Path inVenv = fakeLibrary("opt/torch/.venv/lib/python3.12/site-packages/nvidia/nccl/lib");
        Path inHome = fakeLibrary("home/.local/lib/python3.12/site-packages/nvidia/cu13/lib");
        NcclLibrary.Outcome o = search(Map.of("PATH", "/nonexistent:" + venv.resolve("bin")), null, tmp.resolve("home"),
                "").search();
        assertEquals(inVenv, o.used());
        assertEquals("Python package in " + venv.resolve("lib/python3.12/site-packages"), o.from());
        o = search(Map.of(), null, tmp.resolve("home"), "").search();
        assertEquals(inHome, o.used(), "nvidia/*/lib: the cu13 wheels' layout too");
        // a python3 on the PATH that links to the venv's (as /usr/bin/python3 -> /opt/torch/.venv/bin/python3)
        Path usrBin = Files.createDirectories(tmp.resolve("usr/bin"));
        Files.createSymbolicLink(usrBin.resolve("python3"), venv.resolve("bin/python3"));
        o = search(Map.of("PATH", usrBin.toString()), null, tmp.resolve("nohome"), "").search();
        assertEquals(inVenv, o.used());
    }

    @Test
    void nothingFoundListsWhereItLookedAndLeavesTheRestToTheDynamicLinker() {
        NcclLibrary.Outcome o = search(Map.of("LD_LIBRARY_PATH", tmp.toString()), null, tmp.resolve("nohome"), "")
                .search();
        if (o.used() != null) {
            return; // this machine has a libnccl.so.2 in a system or CUDA folder (the fake loader "loads" it)
        }
        assertNull(o.failed());
        assertEquals("CONVNET4J_NCCL: not set (nor -Dconvnet4j.nccl)", o.tried().get(0));
        String d = o.describe();
        assertTrue(d.startsWith("libnccl.so.2: no file found, left to the dynamic linker's cache; looked in: CONVNET4J_NCCL:"
                + " not set (nor -Dconvnet4j.nccl); no libnccl.so.2 in LD_LIBRARY_PATH (" + tmp + "), the system library"
                + " folders, CUDA's lib64 folders ($CUDA_HOME, $CUDA_PATH, /usr/local/cuda*), the nvidia/*/lib folders of "),
                d);
    }
}
