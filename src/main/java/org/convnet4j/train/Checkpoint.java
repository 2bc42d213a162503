package org.convnet4j.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.convnet4j.backend.Backend;
import org.convnet4j.nn.Parameter;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

/**
 * A training checkpoint: the run's header, every model parameter and every optimizer state tensor.
 *
 * <p>File format (big-endian):
 * <pre>
 *   8 bytes  magic "CNV4JCKP"
 *   int      format version (1)
 *   long     length of the whole file in bytes
 *   int n, n bytes   header: UTF-8 JSON object ({@link CheckpointHeader})
 *   int p,   p parameter entries      (the model's parameters, in the model's order)
 *   int s,   s optimizer-state entries
 *   int      CRC32 of every byte before it
 * entry: int nameLength, UTF-8 name, int rank, rank ints (dims), size float32 values
 * </pre>
 * Written to a temporary file in the target directory, forced to disk, then renamed over the target
 * atomically and the directory forced ({@link RunDirectory}), so a crash never leaves a half-written
 * checkpoint under the real name. The header's fields added since version 1 first appeared (the epoch
 * target, the run id, the metrics history) are optional, so older checkpoints still load.
 * Reading checks, in order: length, magic, version, the recorded length (truncation), the CRC32
 * (corruption), then the structure; restoring checks the model name, and each tensor's name and shape
 * against the model and optimizer.
 */
public record Checkpoint(CheckpointHeader header, Map<String, HostTensor> parameters,
                         Map<String, HostTensor> optimizerState) {
    /** The first eight bytes of every checkpoint. */
    public static final byte[] MAGIC = "CNV4JCKP".getBytes(StandardCharsets.US_ASCII);
    /** The format version this code writes and reads. */
    public static final int VERSION = 1;

    private static final int PREAMBLE = 8 + 4 + 8;
    private static final int MAX_NAME = 4096;
    private static final int MAX_RANK = 8;
    private static final int MAX_HEADER = 1 << 20;

    /**
     * Downloads params and optimizer state from backend and writes them with header to file (atomically).
     */
    public static void write(Path file, CheckpointHeader header, List<Parameter> params,
                             Map<String, Tensor> optimizerState, Backend backend) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = RunDirectory.temporaryFor(file);
            byte[] headerJson = JSON.std.asString(header.toJson()).getBytes(StandardCharsets.UTF_8);
            long length;
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                 CountingStream counted = new CountingStream(raw);
                 DataOutputStream out = new DataOutputStream(counted)) {
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.writeLong(0L); // patched below: the length is known only at the end
                out.writeInt(headerJson.length);
                out.write(headerJson);
                out.writeInt(params.size());
                for (Parameter p : params) {
                    writeEntry(out, p.name(), p.value(), backend);
                }
                out.writeInt(optimizerState.size());
                for (Map.Entry<String, Tensor> e : optimizerState.entrySet()) {
                    writeEntry(out, e.getKey(), e.getValue(), backend);
                }
                out.flush();
                length = counted.count() + 4;
            }
            patchLengthAndAppendCrc(tmp, length);
            RunDirectory.commit(tmp, file);
            tmp = null;
        } catch (IOException e) {
            throw new CheckpointException("Could not write checkpoint " + file + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary file is harmless
                }
            }
        }
    }

    /** Reads and verifies file: magic, version, length, CRC32, structure. */
    public static Checkpoint read(Path file) {
        return readVerified(file, true);
    }

    /**
     * The header alone, after the same checks as {@link #read} (the CRC32 pass streams the file, so this
     * costs no memory for the tensors).
     */
    public static CheckpointHeader readHeader(Path file) {
        return readVerified(file, false).header();
    }

    private static Checkpoint readVerified(Path file, boolean tensors) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException("Checkpoint " + file + " does not exist or is not a regular file.");
        }
        try {
            verifyEnvelope(file);
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                in.skipNBytes(PREAMBLE);
                int headerLength = in.readInt();
                checkRange(file, "header length", headerLength, 2, MAX_HEADER);
                byte[] headerJson = in.readNBytes(headerLength);
                CheckpointHeader header;
                try {
                    header = CheckpointHeader.fromJson(JSON.std.mapFrom(new String(headerJson, StandardCharsets.UTF_8)));
                } catch (IOException | RuntimeException e) {
                    throw new CheckpointException("Checkpoint " + file + " has an unreadable header ("
                            + e.getMessage() + ").", e);
                }
                if (!tensors) {
                    return new Checkpoint(header, Map.of(), Map.of());
                }
                Map<String, HostTensor> params = readEntries(in, file, "parameter");
                Map<String, HostTensor> state = readEntries(in, file, "optimizer state");
                return new Checkpoint(header, params, state);
            }
        } catch (EOFException e) {
            throw new CheckpointException("Checkpoint " + file + " ends in the middle of its data: it is truncated"
                    + " or corrupt.", e);
        } catch (IOException e) {
            throw new CheckpointException("Could not read checkpoint " + file + ": " + e, e);
        }
    }

    /**
     * Copies this checkpoint's parameters into params and its optimizer state into optimizerState, after
     * checking that it was written for expectedModel and that the names and shapes match exactly (nothing
     * is copied when they do not). file is only used in messages.
     */
    public void restore(Path file, String expectedModel, List<Parameter> params, Map<String, Tensor> optimizerState,
                        Backend backend) {
        Map<String, Tensor> modelParams = checkModel(file, expectedModel, params);
        checkSameTensors(file, "optimizer state", this.optimizerState, optimizerState);
        upload(parameters, modelParams, backend);
        upload(this.optimizerState, optimizerState, backend);
    }

    /** As {@link #restore} for the model's parameters only (evaluation needs no optimizer). */
    public void restoreParameters(Path file, String expectedModel, List<Parameter> params, Backend backend) {
        upload(parameters, checkModel(file, expectedModel, params), backend);
    }

    private Map<String, Tensor> checkModel(Path file, String expectedModel, List<Parameter> params) {
        if (!header.model().equals(expectedModel)) {
            throw new CheckpointException("Checkpoint " + file + " was written for model \"" + header.model()
                    + "\", not \"" + expectedModel + "\".");
        }
        Map<String, Tensor> modelParams = new LinkedHashMap<>();
        for (Parameter p : params) {
            modelParams.put(p.name(), p.value());
        }
        checkSameTensors(file, "model parameters", parameters, modelParams);
        return modelParams;
    }

    private static void upload(Map<String, HostTensor> saved, Map<String, Tensor> live, Backend backend) {
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            backend.upload(saved.get(e.getKey()).values(), e.getValue());
        }
    }

    private static void checkSameTensors(Path file, String what, Map<String, HostTensor> saved,
                                         Map<String, Tensor> live) {
        List<String> problems = new ArrayList<>();
        for (String name : live.keySet()) {
            if (!saved.containsKey(name)) {
                problems.add("missing " + name + live.get(name).shape());
            } else if (!saved.get(name).shape().equals(live.get(name).shape())) {
                problems.add(name + " is " + saved.get(name).shape() + " in the file but " + live.get(name).shape()
                        + " in the model");
            }
        }
        for (String name : saved.keySet()) {
            if (!live.containsKey(name)) {
                problems.add("unexpected " + name + saved.get(name).shape());
            }
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException("Checkpoint " + file + " does not match the " + what + ": "
                    + String.join("; ", problems.subList(0, Math.min(6, problems.size())))
                    + (problems.size() > 6 ? " (and " + (problems.size() - 6) + " more)" : "")
                    + ". It was written for another model or configuration.");
        }
    }

    private static void verifyEnvelope(Path file) throws IOException {
        long size = Files.size(file);
        if (size < MAGIC.length) {
            throw new CheckpointException("Checkpoint " + file + " is only " + size + " bytes long: it is truncated"
                    + " or not a convnet4j checkpoint.");
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            byte[] pre = in.readNBytes(PREAMBLE);
            for (int i = 0; i < MAGIC.length; i++) {
                if (pre[i] != MAGIC[i]) {
                    throw new CheckpointException(file + " is not a convnet4j checkpoint (its first bytes are not \""
                            + new String(MAGIC, StandardCharsets.US_ASCII) + "\").");
                }
            }
            if (pre.length < PREAMBLE) {
                throw new CheckpointException("Checkpoint " + file + " is truncated: only " + size + " bytes.");
            }
            ByteBuffer b = ByteBuffer.wrap(pre);
            int version = b.getInt(8);
            if (version != VERSION) {
                throw new CheckpointException("Checkpoint " + file + " has format version " + version
                        + "; this build reads version " + VERSION + ".");
            }
            long recorded = b.getLong(12);
            if (recorded != size) {
                throw new CheckpointException("Checkpoint " + file + " is " + size + " bytes long but records a length"
                        + " of " + recorded + ": it is " + (size < recorded ? "truncated" : "corrupt or has extra bytes")
                        + ".");
            }
            CRC32 crc = new CRC32();
            crc.update(pre);
            long left = size - PREAMBLE - 4;
            byte[] buf = new byte[1 << 16];
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new EOFException();
                }
                crc.update(buf, 0, n);
                left -= n;
            }
            int stored = ByteBuffer.wrap(in.readNBytes(4)).getInt();
            if (stored != (int) crc.getValue()) {
                throw new CheckpointException("Checkpoint " + file + " is corrupt: its CRC32 is "
                        + String.format("%08x", (int) crc.getValue()) + " but the file records "
                        + String.format("%08x", stored) + ".");
            }
        }
    }

    private static void writeEntry(DataOutputStream out, String name, Tensor t, Backend backend) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        out.writeInt(nameBytes.length);
        out.write(nameBytes);
        Shape s = t.shape();
        out.writeInt(s.rank());
        for (int i = 0; i < s.rank(); i++) {
            out.writeInt(s.dim(i));
        }
        float[] values = backend.toFloatArray(t);
        ByteBuffer buf = ByteBuffer.allocate(4 * Math.min(values.length, 1 << 14));
        for (int i = 0; i < values.length; ) {
            buf.clear();
            int n = Math.min(values.length - i, buf.capacity() / 4);
            buf.asFloatBuffer().put(values, i, n);
            out.write(buf.array(), 0, 4 * n);
            i += n;
        }
    }

    private static Map<String, HostTensor> readEntries(DataInputStream in, Path file, String kind) throws IOException {
        int count = in.readInt();
        checkRange(file, kind + " count", count, 0, 1 << 20);
        Map<String, HostTensor> entries = new LinkedHashMap<>();
        for (int k = 0; k < count; k++) {
            int nameLength = in.readInt();
            checkRange(file, kind + " name length", nameLength, 1, MAX_NAME);
            String name = new String(in.readNBytes(nameLength), StandardCharsets.UTF_8);
            int rank = in.readInt();
            checkRange(file, "rank of " + name, rank, 1, MAX_RANK);
            int[] dims = new int[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                checkRange(file, "dimension " + i + " of " + name, dims[i], 1, Integer.MAX_VALUE);
            }
            Shape shape = Shape.of(dims);
            float[] values = new float[shape.size()];
            byte[] bytes = new byte[4 * Math.min(values.length, 1 << 14)];
            for (int i = 0; i < values.length; ) {
                int n = Math.min(values.length - i, bytes.length / 4);
                in.readFully(bytes, 0, 4 * n);
                ByteBuffer.wrap(bytes, 0, 4 * n).asFloatBuffer().get(values, i, n);
                i += n;
            }
            if (entries.put(name, new HostTensor(shape, values)) != null) {
                throw new CheckpointException("Checkpoint " + file + " holds " + kind + " " + name + " twice.");
            }
        }
        return entries;
    }

    private static void checkRange(Path file, String what, long value, long min, long max) {
        if (value < min || value > max) {
            throw new CheckpointException("Checkpoint " + file + " is corrupt: " + what + " is " + value
                    + ", outside [" + min + ", " + max + "].");
        }
    }

    private static void patchLengthAndAppendCrc(Path tmp, long length) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).putLong(0, length);
            ch.write(len, 12);
            CRC32 crc = new CRC32();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            long pos = 0;
            long end = length - 4;
            while (pos < end) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), end - pos));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new EOFException("temporary checkpoint shorter than written");
                }
                buf.flip();
                crc.update(buf);
                pos += n;
            }
            ch.write(ByteBuffer.allocate(4).putInt(0, (int) crc.getValue()), end);
            ch.force(true);
        }
    }

    /** Counts the bytes written through it (the CRC is computed after the length is patched in). */
    private static final class CountingStream extends java.io.FilterOutputStream {
        private long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        long count() {
            return count;
        }
    }
}
