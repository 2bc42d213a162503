package org.convnet4j.bench;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.convnet4j.tensor.Shape;

/**
 * What {@link NetworkBenchmark} measured, as a table for people ({@link #table()}) and as JSON for the
 * report ({@link #toJson()}): milliseconds are means over the timed iterations except the step, whose
 * median, mean and minimum are all kept.
 */
public record BenchResult(NetworkBenchmark.Config config, String backend, String description, DeviceInfo device,
                          long parameters, List<NetworkBenchmark.LayerTiming> layers, double lossForwardMs,
                          double lossBackwardMs, double updateMs, double[] stepMs, long peakBytes,
                          long convWorkspaceBytes, double copyGbPerS, double[] graphStepMs,
                          String graphUnavailable) {

    public double stepMedianMs() {
        return NetworkBenchmark.median(stepMs);
    }

    public double stepMeanMs() {
        double s = 0;
        for (double v : stepMs) {
            s += v;
        }
        return s / stepMs.length;
    }

    public double stepMinMs() {
        double m = Double.MAX_VALUE;
        for (double v : stepMs) {
            m = Math.min(m, v);
        }
        return m;
    }

    /** Images per second from the median step. */
    public double imagesPerSecond() {
        return config.batch() / stepMedianMs() * 1e3;
    }

    public double peakMib() {
        return peakBytes / (double) (1 << 20);
    }

    /** The sum of the synchronized per-layer, loss and update times: the step as `caffe time` adds it up. */
    public double layerSumMs() {
        double s = lossForwardMs + lossBackwardMs + updateMs;
        for (NetworkBenchmark.LayerTiming t : layers) {
            s += t.forwardMs() + t.backwardMs();
        }
        return s;
    }

    /**
     * The JSON the report reads (keys in snake_case): tool, date, model, batch, iterations, warmup, backend,
     * description, device, driver, gemm_provider, parameters, layers [{name, type, output_shape, fwd_ms,
     * bwd_ms}], loss_fwd_ms, loss_bwd_ms, update_ms, step_ms (median), step_ms_mean, step_ms_min,
     * step_ms_all, images_per_second, peak_bytes, peak_mib, conv_workspace_bytes (the CUDA backend's largest
     * convolution column workspace; 0 on the CPU), d2d_copy_gb_per_s (null when not measured),
     * graph_step_ms (median of the steps replayed as a CUDA graph, or "not available: reason"),
     * graph_step_ms_all.
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "convnet4j bench");
        m.put("date", LocalDate.now(ZoneOffset.UTC).toString());
        m.put("model", config.model());
        m.put("batch", config.batch());
        m.put("iterations", config.iterations());
        m.put("warmup", config.warmup());
        m.put("backend", backend);
        m.put("description", description);
        m.put("device", device.device());
        m.put("driver", device.driver());
        m.put("gemm_provider", device.gemmProvider());
        m.put("parameters", parameters);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (NetworkBenchmark.LayerTiming t : layers) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", t.name());
            r.put("type", t.type());
            r.put("output_shape", dims(t.outputShape()));
            r.put("fwd_ms", t.forwardMs());
            r.put("bwd_ms", t.backwardMs());
            rows.add(r);
        }
        m.put("layers", rows);
        m.put("loss_fwd_ms", lossForwardMs);
        m.put("loss_bwd_ms", lossBackwardMs);
        m.put("update_ms", updateMs);
        m.put("step_ms", stepMedianMs());
        m.put("step_ms_mean", stepMeanMs());
        m.put("step_ms_min", stepMinMs());
        List<Double> all = new ArrayList<>();
        for (double v : stepMs) {
            all.add(v);
        }
        m.put("step_ms_all", all);
        m.put("images_per_second", imagesPerSecond());
        m.put("peak_bytes", peakBytes);
        m.put("peak_mib", peakMib());
        m.put("conv_workspace_bytes", convWorkspaceBytes);
        m.put("d2d_copy_gb_per_s", Double.isNaN(copyGbPerS) ? null : copyGbPerS);
        m.put("graph_step_ms", graphStepMs.length > 0 ? (Object) NetworkBenchmark.median(graphStepMs)
                : "not available: " + graphUnavailable);
        List<Double> graphAll = new ArrayList<>();
        for (double v : graphStepMs) {
            graphAll.add(v);
        }
        m.put("graph_step_ms_all", graphAll);
        return m;
    }

    private static List<Integer> dims(Shape s) {
        List<Integer> d = new ArrayList<>();
        for (int v : s.dims()) {
            d.add(v);
        }
        return d;
    }

    /** The `caffe time`-style table and the summary lines. */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s, batch %d, %d iterations after %d warm-up, on %s%n",
                config.model(), config.batch(), config.iterations(), config.warmup(), description));
        b.append(String.format(Locale.ROOT, "device: %s, driver %s, GEMM %s%n", device.device(), device.driver(),
                device.gemmProvider()));
        b.append(String.format(Locale.ROOT, "%-10s %-18s %-22s %12s %12s%n", "layer", "type", "output", "forward ms",
                "backward ms"));
        for (NetworkBenchmark.LayerTiming t : layers) {
            b.append(String.format(Locale.ROOT, "%-10s %-18s %-22s %12.3f %12.3f%n", t.name(), t.type(),
                    t.outputShape(), t.forwardMs(), t.backwardMs()));
        }
        b.append(String.format(Locale.ROOT, "%-10s %-18s %-22s %12.3f %12.3f%n", "loss", "SoftmaxXent", "[1]",
                lossForwardMs, lossBackwardMs));
        b.append(String.format(Locale.ROOT, "%-10s %-18s %-22s %12.3f %12s%n", "update", "momentum 0.9", "",
                updateMs, ""));
        b.append(String.format(Locale.ROOT, "sum of synchronized layers: %.3f ms%n", layerSumMs()));
        b.append(String.format(Locale.ROOT,
                "training step: median %.3f ms, mean %.3f ms, min %.3f ms; %.1f images/s%n",
                stepMedianMs(), stepMeanMs(), stepMinMs(), imagesPerSecond()));
        b.append(graphStepMs.length > 0
                ? String.format(Locale.ROOT, "training step as a CUDA graph: median %.3f ms%n",
                NetworkBenchmark.median(graphStepMs))
                : "training step as a CUDA graph: not measured (" + graphUnavailable + ")\n");
        b.append(String.format(Locale.ROOT, "peak memory: %.1f MiB (%d bytes); %d parameters%n", peakMib(), peakBytes,
                parameters));
        if (convWorkspaceBytes > 0) {
            b.append(String.format(Locale.ROOT, "largest convolution column workspace: %.1f MiB%n",
                    convWorkspaceBytes / (double) (1 << 20)));
        }
        if (!Double.isNaN(copyGbPerS)) {
            b.append(String.format(Locale.ROOT, "device-to-device copy: %.1f GB/s%n", copyGbPerS));
        }
        return b.toString();
    }
}
