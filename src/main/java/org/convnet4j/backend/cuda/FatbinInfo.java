package org.convnet4j.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Reads the table of contents of a CUDA fatbin (what cuobjdump --list-elf/--list-ptx prints) without a
 * GPU or the CUDA toolkit: a header (magic 0xBA55ED50, version, header size, size of the entries), then
 * entries each with a header (kind 1 = PTX, 2 = ELF/SASS; header size; payload size; target arch at byte
 * 28) followed by its payload.
 *
 * @param sass SASS targets, e.g. "sm_75", "sm_90"
 * @param ptx  PTX targets, e.g. "compute_90"
 */
record FatbinInfo(List<String> sass, List<String> ptx) {
    static final int MAGIC = 0xBA55ED50;

    /** Parses a fatbin; throws IllegalArgumentException when the bytes are not one. */
    static FatbinInfo parse(byte[] image) {
        ByteBuffer buf = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        TreeSet<Integer> sass = new TreeSet<>();
        TreeSet<Integer> ptx = new TreeSet<>();
        int pos = 0;
        boolean any = false;
        // nvcc may concatenate several fatbins; walk them all.
        while (pos + 16 <= image.length && buf.getInt(pos) == MAGIC) {
            any = true;
            int headerSize = Short.toUnsignedInt(buf.getShort(pos + 6));
            long fatSize = buf.getLong(pos + 8);
            int entry = pos + headerSize;
            long end = Math.min(image.length, entry + fatSize);
            while (entry + 32 <= end) {
                int kind = Short.toUnsignedInt(buf.getShort(entry));
                long entryHeader = Integer.toUnsignedLong(buf.getInt(entry + 4));
                long payload = buf.getLong(entry + 8);
                int arch = buf.getInt(entry + 28);
                if (kind == 1) {
                    ptx.add(arch);
                } else if (kind == 2) {
                    sass.add(arch);
                }
                if (entryHeader == 0) {
                    break;
                }
                entry += (int) (entryHeader + payload);
            }
            pos = (int) end;
            while (pos % 8 != 0) {
                pos++;
            }
        }
        if (!any) {
            throw new IllegalArgumentException("not a CUDA fatbin (no magic 0xBA55ED50 at its start)");
        }
        return new FatbinInfo(names("sm_", sass), names("compute_", ptx));
    }

    private static List<String> names(String prefix, TreeSet<Integer> arches) {
        List<String> out = new ArrayList<>();
        for (int a : arches) {
            out.add(prefix + a);
        }
        return List.copyOf(out);
    }

    /** Whether a device of compute capability major.minor can run this image (its SASS, or JIT from PTX). */
    boolean runsOn(int major, int minor) {
        int cc = major * 10 + minor;
        boolean binary = sass.stream().mapToInt(s -> Integer.parseInt(s.substring("sm_".length())))
                .anyMatch(s -> s / 10 == major && s <= cc); // SASS runs on later minors of its major
        return binary || ptx.stream().mapToInt(p -> Integer.parseInt(p.substring("compute_".length()))).anyMatch(p -> p <= cc);
    }

    @Override
    public String toString() {
        return "SASS " + String.join(" ", sass) + ", PTX " + String.join(" ", ptx);
    }
}
