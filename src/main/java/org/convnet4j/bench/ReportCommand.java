package org.convnet4j.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import com.fasterxml.jackson.jr.ob.JSON;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convnet4j report}: merges {@code convnet4j bench --json} files, JMH's JSON and bench_torch.py's JSON
 * into a Markdown report, its JSON and a PNG chart ({@link BenchmarkReport}, {@link ReportChart}). A
 * missing or unusable JMH or PyTorch file is not an error: its columns say "not available: reason".
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Merges our bench results, JMH results and PyTorch's into docs/benchmarks.md, its JSON and a chart.")
public final class ReportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--ours", arity = "1..*", description = "convnet4j bench --json files (one per network)")
    List<Path> ours = new ArrayList<>();

    @Option(names = "--jmh", arity = "1..*", description = "JMH results (bin/bench ... -rf json -rff FILE); several are concatenated")
    List<Path> jmh = new ArrayList<>();

    @Option(names = "--torch", description = "benchmarks/pytorch/bench_torch.py --out FILE")
    Path torch;

    @Option(names = "--out", defaultValue = "docs/benchmarks.md", description = "Markdown report (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--json", defaultValue = "docs/results/benchmarks.json", description = "JSON report (default: ${DEFAULT-VALUE})")
    Path json;

    @Option(names = "--chart", defaultValue = "docs/benchmarks.png", description = "PNG chart (default: ${DEFAULT-VALUE})")
    Path chart;

    @Option(names = "--commit", description = "commit the results are from (default: git rev-parse --short HEAD)")
    String commit;

    @Option(names = "--date", description = "date of the run (default: the bench files' date, else today, UTC)")
    String date;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        if (ours.isEmpty() && jmh.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "report: give at least --ours or --jmh");
        }
        List<Map<String, Object>> oursJson = new ArrayList<>();
        for (Path p : ours) {
            Map<String, Object> m = readMap(p, "--ours");
            if (!"convnet4j bench".equals(m.get("tool"))) {
                throw new ParameterException(spec.commandLine(), "--ours " + p + " is not a convnet4j bench --json file "
                        + "(no \"tool\": \"convnet4j bench\")");
            }
            oursJson.add(m);
        }
        List<JmhResult> jmhResults = null;
        String jmhMissing = "no JMH results given (--jmh)";
        for (Path p : jmh) {
            try {
                List<JmhResult> read = JmhResult.parse(JSON.std.listFrom(Files.readString(p, StandardCharsets.UTF_8)));
                if (jmhResults == null) {
                    jmhResults = new ArrayList<>();
                }
                jmhResults.addAll(read);
            } catch (IOException | RuntimeException e) {
                jmhMissing = "JMH results " + p + " unreadable: " + e.getMessage();
                err.println("report: " + jmhMissing);
            }
        }
        Map<String, Object> torchJson = null;
        String torchMissing = "no PyTorch results given (--torch)";
        if (torch != null) {
            try {
                torchJson = JSON.std.mapFrom(Files.readString(torch, StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                torchMissing = "PyTorch results " + torch + " unreadable: " + e.getMessage();
                err.println("report: " + torchMissing);
            }
        }
        String d = date != null ? date : oursJson.stream().map(m -> (Object) m.get("date")).filter(x -> x != null)
                .map(String::valueOf).findFirst().orElse(LocalDate.now(ZoneOffset.UTC).toString());
        String c = commit != null ? commit : gitCommit();
        BenchmarkReport report = BenchmarkReport.build(new BenchmarkReport.Inputs(oursJson, jmhResults, jmhMissing,
                torchJson, torchMissing, d, c));

        write(json, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(report.toJson()) + "\n");
        ReportChart.write(report, chart);
        write(out, report.toMarkdown(relativeLink(out, chart)));
        o.println("wrote " + out + ", " + json + ", " + chart);
        o.flush();
        return 0;
    }

    private Map<String, Object> readMap(Path p, String option) {
        try {
            return JSON.std.mapFrom(Files.readString(p, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw new ParameterException(spec.commandLine(), option + " " + p + " cannot be read as JSON: " + e.getMessage());
        }
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** The chart's path as the Markdown file links it (relative to the Markdown file's directory). */
    static String relativeLink(Path markdown, Path chart) {
        Path dir = markdown.toAbsolutePath().normalize().getParent();
        return dir.relativize(chart.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

    /** git rev-parse --short HEAD, or "unknown (reason)". */
    static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroy();
                return "unknown (git rev-parse timed out)";
            }
            return p.exitValue() == 0 ? text : "unknown (git rev-parse: " + text.lines().findFirst().orElse("") + ")";
        } catch (IOException e) {
            return "unknown (no git: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }
}
