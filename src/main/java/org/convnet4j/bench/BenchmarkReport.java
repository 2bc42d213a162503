package org.convnet4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.convnet4j.backend.ConvAlgorithms;

/**
 * The merged benchmark results: our network benchmarks ({@code convnet4j bench --json}), the JMH results
 * ({@code bin/bench ... -rf json}) and bench_torch.py's JSON, lined up by layer and pass, network and
 * batch, kernel and implementation. A value is a Double (milliseconds, MiB, GB/s) or, where an input is
 * missing or a trial was skipped, a String "not available: reason".
 *
 * <p>Throughput is computed here from the times and the counts in {@link ConvLayerShape#flops()} and
 * {@link KernelWorkloads} (FLOP or bytes per call, divided by the time), not by JMH.
 */
public final class BenchmarkReport {
    /** Prefix of every missing value. */
    public static final String NOT_AVAILABLE = "not available: ";

    /**
     * What the report is made from.
     *
     * @param ours        our bench JSON files, parsed (may be empty)
     * @param jmh         the JMH results, or null
     * @param jmhMissing  why there are no JMH results (when jmh is null)
     * @param torch       bench_torch.py's JSON, or null
     * @param torchMissing why there are no PyTorch results (when torch is null)
     */
    public record Inputs(List<Map<String, Object>> ours, List<JmhResult> jmh, String jmhMissing,
                         Map<String, Object> torch, String torchMissing, String date, String commit) {
    }

    /** One convolution pass: times in ms (or reasons), and the FLOP count of one call. */
    public record LayerRow(String name, String pass, Object oursMs, Object cudnnMs, Object torchMs, double flops,
                           String oursByAlgorithm) {
    }

    /** One network's training step. */
    public record NetworkRow(String name, int batch, Object oursStepMs, Object torchStepMs, Object oursPeakMib,
                             Object torchPeakMib, double oursImagesPerSecond, Object oursGraphStepMs,
                             Object torchGraphStepMs) {
    }

    /**
     * One kernel throughput figure.
     *
     * @param unit "gb_per_s" or "gflop_per_s"
     * @param ms   time per call, NaN where the source gives only the throughput
     */
    public record KernelRow(String name, String unit, double value, double ms) {
    }

    private final Inputs inputs;
    private final String device;
    private final String driver;
    private final String gemmProvider;
    private final boolean tiny;
    private final List<LayerRow> layers = new ArrayList<>();
    private final List<NetworkRow> networks = new ArrayList<>();
    private final List<KernelRow> kernels = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    private final Object copyGbPerS;

    private BenchmarkReport(Inputs in) {
        this.inputs = in;
        Map<String, Object> gpuRun = in.ours().stream().filter(m -> !"none".equals(m.get("driver"))).findFirst()
                .orElse(in.ours().isEmpty() ? null : in.ours().get(0));
        if (gpuRun != null) {
            device = String.valueOf(gpuRun.get("device"));
            driver = String.valueOf(gpuRun.get("driver"));
            gemmProvider = String.valueOf(gpuRun.get("gemm_provider"));
        } else if (in.torch() != null && in.torch().get("device") != null) {
            device = String.valueOf(in.torch().get("device"));
            driver = "unknown (no convnet4j bench results)";
            gemmProvider = "unknown (no convnet4j bench results)";
        } else {
            device = "unknown";
            driver = "unknown";
            gemmProvider = "unknown";
        }
        tiny = in.jmh() != null && in.jmh().stream().anyMatch(JmhResult::tiny);
        buildLayers();
        buildNetworks();
        buildKernels();
        // The convnet4j bench figure (--copy-mib) comes first among the kernels, then MemoryBenchmark's.
        copyGbPerS = kernels.stream().filter(k -> k.name().startsWith("d2d_copy")).findFirst()
                .map(k -> (Object) k.value())
                .orElse(NOT_AVAILABLE + "neither convnet4j bench --copy-mib nor MemoryBenchmark measured it");
    }

    public static BenchmarkReport build(Inputs inputs) {
        return new BenchmarkReport(inputs);
    }

    public List<LayerRow> layers() {
        return layers;
    }

    public List<NetworkRow> networks() {
        return networks;
    }

    public List<KernelRow> kernels() {
        return kernels;
    }

    // ---------------------------------------------------------------- assembling

    private static final Map<String, String> CONV_PASS = Map.of(
            "forward", "fwd", "backwardData", "bwd_data", "backwardFilter", "bwd_filter");

    private void buildLayers() {
        for (ConvLayerShape shape : ConvLayerShape.ALL) {
            for (String pass : ConvLayerShape.PASSES) {
                Object ours = convTime(shape.name(), pass, "ours", ConvAlgorithms.AUTO);
                Object cudnn = convTime(shape.name(), pass, "cudnn", ConvAlgorithms.AUTO);
                Object torch = torchLayer(shape.name(), pass);
                if (ours instanceof Double || cudnn instanceof Double || torch instanceof Double) {
                    double flops = (tiny ? shape.tiny() : shape).flops();
                    layers.add(new LayerRow(shape.name(), pass, ours, cudnn, torch, flops,
                            oursByAlgorithm(shape.name(), pass)));
                }
            }
        }
    }

    /** A trial's algo: auto for results from before the parameter existed. */
    private static String algo(JmhResult r) {
        return r.param("algo").isEmpty() ? ConvAlgorithms.AUTO : r.param("algo");
    }

    /** "im2col 1.23, winograd4x4 0.80": our time with each forced algorithm that ran on this layer pass. */
    private String oursByAlgorithm(String layer, String pass) {
        List<String> cells = new ArrayList<>();
        for (ConvAlgorithms.Algorithm a : ConvAlgorithms.ALGORITHMS) {
            if (convTime(layer, pass, "ours", a.name()) instanceof Double ms) {
                cells.add(a.name() + " " + BenchmarkMarkdown.format(ms));
            }
        }
        return cells.isEmpty() ? "–" : String.join(", ", cells);
    }

    private Object convTime(String layer, String pass, String impl, String algo) {
        if (inputs.jmh() == null) {
            return NOT_AVAILABLE + inputs.jmhMissing();
        }
        JmhResult skippedOne = null;
        for (JmhResult r : inputs.jmh()) {
            if (r.benchmarkClass().equals("ConvolutionBenchmark") && pass.equals(CONV_PASS.get(r.method()))
                    && r.param("layer").equals(layer) && r.param("impl").equals(impl) && algo(r).equals(algo)) {
                if (!r.skipped()) {
                    return r.ms();
                }
                skippedOne = r;
            }
        }
        return skippedOne != null ? NOT_AVAILABLE + "the trial was skipped (see the '# skipped' line of the JMH log)"
                : NOT_AVAILABLE + "not in the JMH results";
    }

    private Map<String, Object> torchFp32() {
        if (inputs.torch() != null && inputs.torch().get("fp32") instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> fp32 = (Map<String, Object>) m;
            return fp32;
        }
        return null;
    }

    String torchReason() {
        if (inputs.torch() == null) {
            return NOT_AVAILABLE + inputs.torchMissing();
        }
        if (Boolean.FALSE.equals(inputs.torch().get("available"))) {
            return NOT_AVAILABLE + inputs.torch().get("reason");
        }
        return null;
    }

    static List<Map<?, ?>> rows(Map<String, Object> block, String key) {
        List<Map<?, ?>> out = new ArrayList<>();
        if (block != null && block.get(key) instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    private Object torchLayer(String layer, String pass) {
        String reason = torchReason();
        if (reason != null) {
            return reason;
        }
        for (Map<?, ?> r : rows(torchFp32(), "layers")) {
            if (layer.equals(r.get("name")) && pass.equals(r.get("pass")) && r.get("torch_ms") instanceof Number n) {
                return n.doubleValue();
            }
        }
        return NOT_AVAILABLE + "not in the PyTorch results";
    }

    private void buildNetworks() {
        for (Map<String, Object> o : inputs.ours()) {
            String name = String.valueOf(o.get("model"));
            int batch = ((Number) o.get("batch")).intValue();
            Object torchStep;
            Object torchPeak;
            Object torchGraph;
            String reason = torchReason();
            if (reason != null) {
                torchStep = reason;
                torchPeak = reason;
                torchGraph = reason;
            } else {
                torchStep = NOT_AVAILABLE + "PyTorch did not run " + name + " at batch " + batch;
                torchPeak = torchStep;
                torchGraph = torchStep;
                for (Map<?, ?> r : rows(torchFp32(), "networks")) {
                    if (name.equals(r.get("name")) && r.get("batch") instanceof Number b && b.intValue() == batch) {
                        torchStep = ((Number) r.get("torch_step_ms")).doubleValue();
                        torchPeak = ((Number) r.get("torch_peak_mib")).doubleValue();
                        torchGraph = r.get("torch_graph_step_ms") instanceof Number g ? (Object) g.doubleValue()
                                : NOT_AVAILABLE + (r.get("torch_graph_step_ms") instanceof String why ? why
                                : "no CUDA-graph step in the PyTorch results");
                    }
                }
            }
            Object oursGraph = o.get("graph_step_ms") instanceof String why ? why : number(o, "graph_step_ms");
            networks.add(new NetworkRow(name, batch, number(o, "step_ms"), torchStep, number(o, "peak_mib"), torchPeak,
                    ((Number) o.get("images_per_second")).doubleValue(), oursGraph, torchGraph));
        }
    }

    static Object number(Map<String, Object> o, String key) {
        return o.get(key) instanceof Number n ? (Object) n.doubleValue() : NOT_AVAILABLE + key + " missing";
    }

    private void buildKernels() {
        for (Map<String, Object> o : inputs.ours()) {
            if (o.get("d2d_copy_gb_per_s") instanceof Number n) {
                kernels.add(new KernelRow("d2d_copy (ours, backend.copy, " + o.get("model") + " run)", "gb_per_s",
                        n.doubleValue(), Double.NaN));
                break;
            }
        }
        if (inputs.jmh() != null) {
            for (JmhResult r : inputs.jmh()) {
                KernelRow k = kernelRow(r);
                if (k == null) {
                    continue;
                }
                if (r.skipped()) {
                    skipped.add(k.name());
                } else {
                    kernels.add(k);
                }
            }
        }
        if (torchReason() == null) {
            for (Map<?, ?> r : rows(torchFp32(), "kernels")) {
                if (r.get("gb_per_s") instanceof Number n) {
                    kernels.add(new KernelRow("pytorch " + r.get("name"), "gb_per_s", n.doubleValue(), Double.NaN));
                }
            }
        }
    }

    /** The kernel row of a JMH result, or null for convolutions (they are layers). */
    private static KernelRow kernelRow(JmhResult r) {
        String pass = r.method().equals("backward") ? "bwd" : "fwd";
        String impl = r.param("impl");
        boolean t = r.tiny();
        String suffix = t ? ", tiny" : "";
        switch (r.benchmarkClass()) {
            case "PoolingBenchmark" -> {
                KernelWorkloads.Pool p = KernelWorkloads.pool(r.param("pool"));
                p = t ? p.tiny() : p;
                return new KernelRow("maxpool " + pass + " " + p.name() + " (" + impl + suffix + ")", "gb_per_s",
                        p.bytes() / r.ms() / 1e6, r.ms());
            }
            case "ActivationBenchmark" -> {
                return elementRow(r, "relu " + pass, KernelWorkloads.relu(r.param("size")), impl);
            }
            case "DropoutBenchmark" -> {
                return elementRow(r, "dropout " + pass, KernelWorkloads.dropout(r.param("size")), "ours");
            }
            case "OptimizersBenchmark" -> {
                return elementRow(r, r.method() + " update", KernelWorkloads.update(r.param("params")), "ours");
            }
            case "MemoryBenchmark" -> {
                return elementRow(r, "d2d_copy", KernelWorkloads.copy(r.param("size")), "ours, backend.copy");
            }
            case "MergeBenchmark" -> {
                return elementRow(r, r.method(), KernelWorkloads.merge(r.param("size")), "ours");
            }
            case "NormalizationBenchmark" -> {
                KernelWorkloads.Norm w = KernelWorkloads.norm(r.param("shape"));
                w = t ? w.tiny() : w;
                return new KernelRow(r.method() + " " + w.name() + " (ours" + suffix + ")", "gb_per_s",
                        w.bytes(r.method()) / r.ms() / 1e6, r.ms());
            }
            case "SoftmaxLossBenchmark" -> {
                KernelWorkloads.Softmax w = KernelWorkloads.softmax(r.param("shape"));
                w = t ? w.tiny() : w;
                String what = impl.equals("cudnn") ? "cudnn softmax only" : impl;
                return new KernelRow("softmax_xent " + pass + " " + w.name() + " (" + what + suffix + ")",
                        "gb_per_s", w.bytes() / r.ms() / 1e6, r.ms());
            }
            case "DenseBenchmark" -> {
                KernelWorkloads.Gemm g = KernelWorkloads.gemm(r.param("gemm"));
                g = t ? g.tiny() : g;
                return new KernelRow("sgemm " + g.name() + " (" + impl + suffix + ")", "gflop_per_s",
                        g.flops() / r.ms() / 1e6, r.ms());
            }
            default -> {
                return null;
            }
        }
    }

    /** The row of an element-wise benchmark: bytes per element ({@link KernelWorkloads#bytesPerElement}) * n. */
    private static KernelRow elementRow(JmhResult r, String what, KernelWorkloads.Elements w, String impl) {
        KernelWorkloads.Elements e = r.tiny() ? w.tiny() : w;
        double bytes = (double) KernelWorkloads.bytesPerElement(r.benchmarkClass(), r.method()) * e.n();
        return new KernelRow(what + " " + e.name() + " (" + impl + (r.tiny() ? ", tiny" : "") + ")", "gb_per_s",
                bytes / r.ms() / 1e6, r.ms());
    }

    // ---------------------------------------------------------------- output

    /**
     * The report's JSON: date, device, driver, commit, gemm_provider, layers [{name, pass, ours_ms, cudnn_ms,
     * torch_ms}], networks [{name, batch, ours_step_ms, torch_step_ms, ours_peak_mib, torch_peak_mib,
     * ours_graph_step_ms, torch_graph_step_ms (the step replayed as a CUDA graph)}],
     * kernels [{name, gb_per_s | gflop_per_s}], d2d_copy_gb_per_s. Missing values are "not available: reason".
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", inputs.date());
        m.put("device", device);
        m.put("driver", driver);
        m.put("commit", inputs.commit());
        m.put("gemm_provider", gemmProvider);
        List<Map<String, Object>> ls = new ArrayList<>();
        for (LayerRow r : layers) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("name", r.name());
            l.put("pass", r.pass());
            l.put("ours_ms", r.oursMs());
            l.put("ours_ms_by_algorithm", r.oursByAlgorithm());
            l.put("cudnn_ms", r.cudnnMs());
            l.put("torch_ms", r.torchMs());
            ls.add(l);
        }
        m.put("layers", ls);
        List<Map<String, Object>> ns = new ArrayList<>();
        for (NetworkRow r : networks) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("name", r.name());
            n.put("batch", r.batch());
            n.put("ours_step_ms", r.oursStepMs());
            n.put("torch_step_ms", r.torchStepMs());
            n.put("ours_peak_mib", r.oursPeakMib());
            n.put("torch_peak_mib", r.torchPeakMib());
            n.put("ours_graph_step_ms", r.oursGraphStepMs());
            n.put("torch_graph_step_ms", r.torchGraphStepMs());
            ns.add(n);
        }
        m.put("networks", ns);
        List<Map<String, Object>> ks = new ArrayList<>();
        for (KernelRow r : kernels) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("name", r.name());
            k.put(r.unit(), r.value());
            ks.add(k);
        }
        m.put("kernels", ks);
        m.put("d2d_copy_gb_per_s", copyGbPerS);
        return m;
    }

    /** The Markdown report; chartLink is the chart's path relative to the Markdown file (or null: none). */
    public String toMarkdown(String chartLink) {
        return new BenchmarkMarkdown(this).render(chartLink);
    }

    // ---------------------------------------------------------------- what the Markdown page reads

    Inputs inputs() {
        return inputs;
    }

    String device() {
        return device;
    }

    String driver() {
        return driver;
    }

    String gemmProvider() {
        return gemmProvider;
    }

    /** Whether the JMH results ran at the tiny CI sizes. */
    boolean tiny() {
        return tiny;
    }

    /** The skipped kernel trials, each "name (implementation)". */
    List<String> skipped() {
        return skipped;
    }

    Object copyGbPerS() {
        return copyGbPerS;
    }
}
