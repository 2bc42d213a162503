package org.convnet4j.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A minimal reader for .tgz archives (gzip over POSIX ustar, what `npm pack` writes), so no archive
 * library is needed: 512-byte headers, name (with the ustar prefix), octal size, type flag; regular files
 * only, pax and GNU extension records skipped. Extracts the regular files whose base name the filter
 * accepts into a flat directory.
 */
public final class TarGzExtractor {
    private static final int BLOCK = 512;

    private TarGzExtractor() {
    }

    /**
     * Extracts, flat into dest, every regular file of archive whose base name (the part after the last
     * '/') matches wanted. Returns the paths written.
     */
    public static List<Path> extract(Path archive, Path dest, Predicate<String> wanted) throws IOException {
        List<Path> written = new ArrayList<>();
        Files.createDirectories(dest);
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(archive), 1 << 16))) {
            byte[] header = new byte[BLOCK];
            while (true) {
                if (!readFully(in, header)) {
                    break;
                }
                if (isZero(header)) {
                    break;
                }
                String name = field(header, 0, 100);
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty() && "ustar".equals(field(header, 257, 5))) {
                    name = prefix + "/" + name;
                }
                long size = octal(header, 124, 12, archive);
                char type = (char) header[156];
                long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
                String base = name.substring(name.lastIndexOf('/') + 1);
                boolean regular = type == '0' || type == '\0';
                if (regular && !base.isEmpty() && wanted.test(base)) {
                    Path out = dest.resolve(base);
                    try (var os = Files.newOutputStream(out)) {
                        copy(in, os, size, archive, name);
                    }
                    skip(in, padded - size, archive);
                    written.add(out);
                } else {
                    skip(in, padded, archive);
                }
            }
        }
        return written;
    }

    private static boolean readFully(InputStream in, byte[] buf) throws IOException {
        int n = in.readNBytes(buf, 0, buf.length);
        return n == buf.length;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8).trim();
    }

    private static long octal(byte[] h, int off, int len, Path archive) throws IOException {
        String s = field(h, off, len);
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException(archive + " is not a tar archive this reader understands (size field '" + s + "')");
        }
    }

    private static void copy(InputStream in, java.io.OutputStream out, long size, Path archive, String name)
            throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException(archive + " is truncated inside entry " + name);
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skip(InputStream in, long n, Path archive) throws IOException {
        try {
            in.skipNBytes(n);
        } catch (java.io.EOFException e) {
            throw new IOException(archive + " is truncated", e);
        }
    }
}
