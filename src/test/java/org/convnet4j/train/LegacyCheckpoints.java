package org.convnet4j.train;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Checkpoints as the code before the epoch target, run id and metrics history were recorded wrote them:
 * format version 1, the header JSON without the keys "epochs", "run_id" and "history", the same tensors.
 * Built from a current checkpoint by swapping its header, written with the layout of the
 * {@link Checkpoint} class comment (independently of its writer).
 */
public final class LegacyCheckpoints {
    private static final int PREAMBLE = 8 + 4 + 8;

    private LegacyCheckpoints() {
    }

    /** Writes to out the checkpoint file current with its header cut down to the first release's keys. */
    public static Path withoutNewHeaderKeys(Path current, Path out) throws IOException {
        byte[] bytes = Files.readAllBytes(current);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int headerLength = b.getInt(PREAMBLE);
        Map<String, Object> header = JSON.std.mapFrom(new String(bytes, PREAMBLE + 4, headerLength,
                StandardCharsets.UTF_8));
        header.keySet().removeAll(java.util.List.of("epochs", "run_id", "history"));
        byte[] oldHeader = JSON.std.asString(header).getBytes(StandardCharsets.UTF_8);
        int tensorsFrom = PREAMBLE + 4 + headerLength;
        int tensorsTo = bytes.length - 4;

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(buf);
        data.write(bytes, 0, 12); // magic and version
        data.writeLong(PREAMBLE + 4 + oldHeader.length + (tensorsTo - tensorsFrom) + 4L);
        data.writeInt(oldHeader.length);
        data.write(oldHeader);
        data.write(bytes, tensorsFrom, tensorsTo - tensorsFrom);
        CRC32 crc = new CRC32();
        crc.update(buf.toByteArray());
        data.writeInt((int) crc.getValue());
        return Files.write(out, buf.toByteArray());
    }
}
