package org.convnet4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One entry of JMH's JSON results ({@code -rf json}): which benchmark, with which parameters, how long one
 * call took in milliseconds, and whether the trial was skipped (the "skipped" secondary metric the
 * benchmarks count when they cannot run).
 *
 * @param benchmarkClass simple class name, e.g. "ConvolutionBenchmark" (an old name is read as its new one)
 * @param method         the benchmark method, e.g. "forward"
 */
public record JmhResult(String benchmarkClass, String method, Map<String, String> params, double ms, boolean skipped) {
    /** Benchmark classes renamed when they were organized by op family: results saved before still read. */
    private static final Map<String, String> RENAMED = Map.of("ConvBenchmark", "ConvolutionBenchmark",
            "ReluBenchmark", "ActivationBenchmark", "SgemmBenchmark", "DenseBenchmark");

    public String param(String name) {
        return params.getOrDefault(name, "");
    }

    public boolean tiny() {
        return Boolean.parseBoolean(param("tiny"));
    }

    /** Parses JMH's JSON array (as read by jackson-jr: a list of maps). */
    public static List<JmhResult> parse(List<?> json) {
        List<JmhResult> results = new ArrayList<>();
        for (Object o : json) {
            Map<?, ?> m = (Map<?, ?>) o;
            String full = String.valueOf(m.get("benchmark"));
            int dot = full.lastIndexOf('.');
            String cls = full.substring(0, dot);
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            cls = RENAMED.getOrDefault(cls, cls);
            Map<String, String> params = new LinkedHashMap<>();
            if (m.get("params") instanceof Map<?, ?> p) {
                p.forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
            }
            Map<?, ?> primary = (Map<?, ?>) m.get("primaryMetric");
            double score = ((Number) primary.get("score")).doubleValue();
            double ms = score * msPer(String.valueOf(primary.get("scoreUnit")), full);
            boolean skipped = false;
            if (m.get("secondaryMetrics") instanceof Map<?, ?> secondary
                    && secondary.get("skipped") instanceof Map<?, ?> s) {
                skipped = ((Number) s.get("score")).doubleValue() > 0;
            }
            results.add(new JmhResult(cls, full.substring(dot + 1), params, ms, skipped));
        }
        return results;
    }

    /** Milliseconds in one unit of an average-time score ("ms/op", "us/op", "ns/op", "s/op"). */
    static double msPer(String unit, String benchmark) {
        return switch (unit) {
            case "ms/op" -> 1;
            case "us/op" -> 1e-3;
            case "ns/op" -> 1e-6;
            case "s/op" -> 1e3;
            default -> throw new IllegalArgumentException("JMH result " + benchmark + " has score unit '" + unit
                    + "'; the report needs average time per call (-bm avgt): ms/op, us/op, ns/op or s/op");
        };
    }
}
