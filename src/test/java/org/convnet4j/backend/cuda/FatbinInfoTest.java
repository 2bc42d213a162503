package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The fatbin parser, and the real kernel image: in the classes, with the expected targets. */
class FatbinInfoTest {

    static final List<String> SASS = List.of("sm_75", "sm_80", "sm_86", "sm_89", "sm_90");
    static final List<String> PTX = List.of("compute_90");

    /** A fatbin of entries (kind, arch, payload size), laid out as nvcc writes it. */
    static byte[] fakeFatbin(int[][] entries) {
        int size = 16;
        for (int[] e : entries) {
            size += 64 + e[2];
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(FatbinInfo.MAGIC).putShort((short) 1).putShort((short) 16).putLong(size - 16);
        for (int[] e : entries) {
            int at = b.position();
            b.putShort((short) e[0]).putShort((short) 0x101).putInt(64).putLong(e[2]);
            b.position(at + 28);
            b.putInt(e[1]);
            b.position(at + 64 + e[2]);
        }
        return b.array();
    }

    @Test
    void parsesSassAndPtxEntries() {
        FatbinInfo info = FatbinInfo.parse(fakeFatbin(new int[][] {{2, 80, 100}, {2, 75, 8}, {1, 90, 33}, {2, 90, 4}}));
        assertEquals(List.of("sm_75", "sm_80", "sm_90"), info.sass());
        assertEquals(List.of("compute_90"), info.ptx());
        assertEquals("SASS sm_75 sm_80 sm_90, PTX compute_90", info.toString());
    }

    @Test
    void knowsWhichDevicesItRunsOn() {
        FatbinInfo info = new FatbinInfo(SASS, PTX);
        assertTrue(info.runsOn(7, 5));
        assertTrue(info.runsOn(8, 7), "sm_86 SASS runs on 8.7");
        assertTrue(info.runsOn(10, 0), "PTX compute_90 is JIT-compiled for later GPUs");
        assertTrue(info.runsOn(12, 0));
        assertFalse(info.runsOn(7, 0), "Volta is below every target");
        assertFalse(new FatbinInfo(List.of("sm_90"), List.of()).runsOn(8, 9));
    }

    @Test
    void rejectsWhatIsNotAFatbin() {
        assertThrows(IllegalArgumentException.class,
                () -> FatbinInfo.parse("//ptx text".getBytes(StandardCharsets.US_ASCII)));
    }

    /** The build puts the kernel image in the classes when nvcc is on the PATH; it holds every target. */
    @Test
    void theBuiltKernelImageHoldsTheExpectedArchitectures() throws IOException, InterruptedException {
        boolean nvcc = onPath("nvcc");
        boolean present = KernelImage.class.getClassLoader().getResource(KernelImage.RESOURCE) != null;
        assumeTrue(nvcc || present, "no nvcc and no kernel image: the CUDA backend is unavailable in this build");
        assertTrue(present, "nvcc is on the PATH but " + KernelImage.RESOURCE + " is not in the classes");
        FatbinInfo info = FatbinInfo.parse(KernelImage.readResource());
        assertEquals(SASS, info.sass());
        assertEquals(PTX, info.ptx());
        if (onPath("cuobjdump")) { // cross-check the parser with NVIDIA's tool where it is installed
            Path file = Files.createTempFile("convnet4j", ".fatbin");
            try {
                Files.write(file, KernelImage.readResource());
                assertEquals(SASS, cuobjdump("--list-elf", file, "sm_\\d+"));
                assertEquals(PTX, cuobjdump("--list-ptx", file, "sm_\\d+").stream()
                        .map(s -> s.replace("sm_", "compute_")).toList());
            } finally {
                Files.delete(file);
            }
        }
    }

    /** Every kernels/*.cu file opens with a header comment, as the before-stop hook checks. */
    @Test
    void everyKernelFileOpensWithAHeaderComment() throws IOException {
        try (var files = Files.list(KernelSignatures.kernelsDir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).toList()) {
                String head = Files.readString(f).substring(0, 200);
                assertTrue(head.startsWith("// " + f.getFileName() + ":"), f + " opens with: " + head);
                assertTrue(head.contains("\n// Layout:") || Files.readString(f).contains("\n// Layout:"), f.toString());
            }
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static List<String> cuobjdump(String flag, Path file, String arch) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("cuobjdump", flag, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        TreeSet<String> found = new TreeSet<>();
        Matcher m = Pattern.compile(arch).matcher(out);
        while (m.find()) {
            found.add(m.group());
        }
        return new ArrayList<>(found);
    }
}
