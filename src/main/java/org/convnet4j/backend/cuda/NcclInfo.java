package org.convnet4j.backend.cuda;

import java.util.ArrayList;
import java.util.List;

import org.convnet4j.backend.BackendUnavailableException;

/**
 * What {@code convnet4j info} prints about NCCL: which libnccl.so.2 was used (or everywhere it was looked
 * for), whether the binding loads and NCCL's version, and the GPUs NCCL could use (count and names). Never
 * throws: on a machine without NCCL or a GPU each missing piece is one line with its reason.
 */
public final class NcclInfo {
    private NcclInfo() {
    }

    public static List<String> report() {
        List<String> lines = new ArrayList<>();
        NcclLibrary.Outcome library = NcclLibrary.load();
        lines.add("library: " + library.describe());
        try {
            lines.add("binding: loaded, NCCL " + NcclAllReduce.version() + " (" + BytedecoNccl.BINDING + ")");
        } catch (BackendUnavailableException | NcclAllReduce.NcclException e) {
            // BytedecoNccl's message ends with the library line, printed just above
            lines.add("binding: unavailable: " + e.getMessage().replace(" (" + library.describe() + ")", ""));
        }
        String driverProblem = CudaDriver.unavailableReason();
        if (driverProblem != null) {
            lines.add("GPUs: none usable (" + driverProblem + ")");
            return lines;
        }
        try {
            int count = CudaContext.deviceCount();
            List<String> names = new ArrayList<>();
            for (int d = 0; d < count; d++) {
                names.add(d + ": " + CudaContext.name(d));
            }
            lines.add("GPUs: " + count + (count == 0 ? "" : " (" + String.join(", ", names) + ")")
                    + (count == 1 ? "; one rank per machine (NCCL refuses two ranks on one device)" : ""));
        } catch (RuntimeException e) {
            lines.add("GPUs: the device query failed: " + e.getMessage());
        }
        return lines;
    }
}
