package org.convnet4j.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReportCommandTest {

    /** A minimal convnet4j bench --json file. */
    private static String ours(String model, int batch, double stepMs, double peakMib, Double copy) {
        return "{\"tool\": \"convnet4j bench\", \"date\": \"2026-11-23\", \"model\": \"" + model + "\", \"batch\": " + batch
                + ", \"iterations\": 10, \"warmup\": 3, \"backend\": \"cuda\", \"description\": \"cuda: test card\","
                + " \"device\": \"Test Card 80GB\", \"driver\": \"13.0\", \"gemm_provider\": \"cublas13\","
                + " \"layers\": [{\"name\": \"conv1\", \"type\": \"Conv2d\", \"output_shape\": [" + batch
                + ", 6, 28, 28], \"fwd_ms\": 0.5, \"bwd_ms\": 0.75}],"
                + " \"loss_fwd_ms\": 0.01, \"loss_bwd_ms\": 0.02, \"update_ms\": 0.03, \"step_ms\": " + stepMs
                + ", \"images_per_second\": " + (batch / stepMs * 1e3) + ", \"peak_mib\": " + peakMib
                + ", \"d2d_copy_gb_per_s\": " + (copy == null ? "null" : copy) + "}";
    }

    /** One JMH result entry. */
    private static String jmh(String benchmark, String params, double score, String unit, double skipped) {
        return "{\"benchmark\": \"org.convnet4j.bench." + benchmark + "\", \"mode\": \"avgt\", \"params\": {" + params
                + "}, \"primaryMetric\": {\"score\": " + score + ", \"scoreUnit\": \"" + unit + "\"},"
                + " \"secondaryMetrics\": {\"skipped\": {\"score\": " + skipped + ", \"scoreUnit\": \"#\"}}}";
    }

    private static Path write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static Path writeJmh(Path dir) throws Exception {
        String conv = "\"device\": \"auto\", \"tiny\": \"false\", ";
        return write(dir, "jmh.json", "[" + String.join(",\n",
                jmh("ConvolutionBenchmark.forward", conv + "\"layer\": \"lenet5/conv1\", \"impl\": \"ours\"", 0.2, "ms/op", 0),
                jmh("ConvolutionBenchmark.forward", conv + "\"layer\": \"lenet5/conv1\", \"impl\": \"cudnn\"", 100, "us/op", 0),
                // one algorithm forced (im2col ran, winograd4x4 skipped: 5x5), and the auto result above without
                // the algo parameter (results from before it existed) is auto's
                jmh("ConvolutionBenchmark.forward", conv + "\"layer\": \"lenet5/conv1\", \"impl\": \"ours\", "
                        + "\"algo\": \"im2col\"", 0.25, "ms/op", 0),
                jmh("ConvolutionBenchmark.forward", conv + "\"layer\": \"lenet5/conv1\", \"impl\": \"ours\", "
                        + "\"algo\": \"winograd4x4\"", 1e-5, "ms/op", 9999),
                jmh("ConvolutionBenchmark.backwardData", conv + "\"layer\": \"lenet5/conv1\", \"impl\": \"ours\"", 0.3, "ms/op", 0),
                jmh("ConvolutionBenchmark.backwardData", conv + "\"layer\": \"lenet5/conv1\", \"impl\": \"cudnn\"", 0.0001, "ms/op",
                        5000),
                // ActivationBenchmark under its name before the family rename: old result files still read
                jmh("ReluBenchmark.forward", "\"size\": \"256MiB\", \"impl\": \"ours\", \"tiny\": \"false\"", 1.0, "ms/op", 0),
                jmh("DropoutBenchmark.backward", "\"size\": \"alexnet/drop7\", \"tiny\": \"false\"", 0.01, "ms/op", 0),
                jmh("NormalizationBenchmark.lrnBackward", "\"shape\": \"alexnet/norm1\", \"tiny\": \"false\"", 2.0,
                        "ms/op", 0),
                jmh("OptimizersBenchmark.adam", "\"params\": \"alexnet\", \"tiny\": \"false\"", 1.0, "ms/op", 0),
                jmh("MemoryBenchmark.copy", "\"size\": \"256MiB\", \"tiny\": \"false\"", 0.2, "ms/op", 0),
                jmh("DenseBenchmark.sgemm", "\"gemm\": \"square1024\", \"impl\": \"cublas13\", \"tiny\": \"false\"", 0.1,
                        "ms/op", 0),
                jmh("DenseBenchmark.sgemm", "\"gemm\": \"square1024\", \"impl\": \"jcublas\", \"tiny\": \"false\"", 1e-5,
                        "ms/op", 9999)) + "]");
    }

    private static int run(String... args) {
        CommandLine cl = new CommandLine(new ReportCommand());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(args);
        assertEquals(0, code, err.toString());
        return code;
    }

    @Test
    void mergesOursAndJmhWithoutTorch(@TempDir Path dir) throws Exception {
        Path lenet = write(dir, "lenet.json", ours("lenet5", 64, 2.0, 12.5, 1800.0));
        Path jmh = writeJmh(dir);
        Path md = dir.resolve("docs/benchmarks.md");
        Path json = dir.resolve("docs/results/benchmarks.json");
        Path png = dir.resolve("docs/benchmarks.png");
        run("--ours", lenet.toString(), "--jmh", jmh.toString(), "--torch", dir.resolve("missing.json").toString(),
                "--out", md.toString(), "--json", json.toString(), "--chart", png.toString(), "--commit", "abc1234");

        Map<String, Object> r = JSON.std.mapFrom(Files.readString(json));
        assertEquals(List.of("date", "device", "driver", "commit", "gemm_provider", "layers", "networks", "kernels",
                "d2d_copy_gb_per_s"), List.copyOf(r.keySet()));
        assertEquals("Test Card 80GB", r.get("device"));
        assertEquals("13.0", r.get("driver"));
        assertEquals("abc1234", r.get("commit"));
        assertEquals("cublas13", r.get("gemm_provider"));
        assertEquals("2026-11-23", r.get("date"));
        assertEquals(1800.0, ((Number) r.get("d2d_copy_gb_per_s")).doubleValue());

        List<?> layers = (List<?>) r.get("layers");
        assertEquals(2, layers.size(), "lenet5/conv1 fwd and bwd_data have results, nothing else: " + layers);
        Map<?, ?> fwd = (Map<?, ?>) layers.get(0);
        assertEquals(List.of("name", "pass", "ours_ms", "ours_ms_by_algorithm", "cudnn_ms", "torch_ms"),
                List.copyOf(fwd.keySet()));
        assertEquals("im2col 0.250", fwd.get("ours_ms_by_algorithm"));
        assertEquals("lenet5/conv1", fwd.get("name"));
        assertEquals("fwd", fwd.get("pass"));
        assertEquals(0.2, ((Number) fwd.get("ours_ms")).doubleValue(), 1e-12);
        assertEquals(0.1, ((Number) fwd.get("cudnn_ms")).doubleValue(), 1e-12); // 100 us/op
        assertTrue(String.valueOf(fwd.get("torch_ms")).startsWith("not available: PyTorch results"),
                fwd.get("torch_ms").toString());
        Map<?, ?> bwdData = (Map<?, ?>) layers.get(1);
        assertEquals("bwd_data", bwdData.get("pass"));
        assertTrue(String.valueOf(bwdData.get("cudnn_ms")).startsWith("not available: the trial was skipped"));

        Map<?, ?> net = (Map<?, ?>) ((List<?>) r.get("networks")).get(0);
        assertEquals(List.of("name", "batch", "ours_step_ms", "torch_step_ms", "ours_peak_mib", "torch_peak_mib",
                "ours_graph_step_ms", "torch_graph_step_ms"), List.copyOf(net.keySet()));
        assertEquals("not available: graph_step_ms missing", net.get("ours_graph_step_ms"),
                "an older bench result has no graph step");
        assertEquals("lenet5", net.get("name"));
        assertEquals(64, ((Number) net.get("batch")).intValue());
        assertEquals(2.0, ((Number) net.get("ours_step_ms")).doubleValue());
        assertEquals(12.5, ((Number) net.get("ours_peak_mib")).doubleValue());
        assertTrue(String.valueOf(net.get("torch_step_ms")).startsWith("not available: "));

        List<?> kernels = (List<?>) r.get("kernels");
        Map<?, ?> relu = find(kernels, "relu fwd 256MiB (ours)");
        // 8 bytes per element of 64 Mi floats in 1 ms
        assertEquals(8.0 * (64 << 20) / 1e-3 / 1e9, ((Number) relu.get("gb_per_s")).doubleValue(), 1e-6);
        Map<?, ?> sgemm = find(kernels, "sgemm square1024 (cublas13)");
        // dropout: 12 bytes per element, norm1: 20 bytes per element of x, Adam: 28 bytes per parameter
        assertEquals(12.0 * 128 * 4096 / 1e-5 / 1e9,
                ((Number) find(kernels, "dropout bwd alexnet/drop7 (ours)").get("gb_per_s")).doubleValue(), 1e-6);
        assertEquals(20.0 * 128 * 96 * 55 * 55 / 2e-3 / 1e9,
                ((Number) find(kernels, "lrnBackward alexnet/norm1 (ours)").get("gb_per_s")).doubleValue(), 1e-6);
        assertEquals(28.0 * 62_378_344 / 1e-3 / 1e9,
                ((Number) find(kernels, "adam update alexnet (ours)").get("gb_per_s")).doubleValue(), 1e-6);
        assertEquals(2.0 * 1024 * 1024 * 1024 / 1e-4 / 1e9, ((Number) sgemm.get("gflop_per_s")).doubleValue(), 1e-6);
        assertTrue(kernels.stream().noneMatch(k -> String.valueOf(((Map<?, ?>) k).get("name")).contains("jcublas")),
                "skipped trials are not kernel results");

        String text = Files.readString(md);
        // ours / cuDNN = 0.2 / 0.1; GFLOP/s of lenet5/conv1: 2*64*6*28*28*1*25 FLOP in 0.2 ms
        assertTrue(text.contains("| lenet5/conv1 | fwd | 0.200 | 0.100 | not available: PyTorch results "), text);
        assertTrue(text.contains("| 2.00 | – | " + BenchmarkMarkdown.format(2.0 * 64 * 6 * 28 * 28 * 25 / 0.2e-3 / 1e9)
                + " | " + BenchmarkMarkdown.format(2.0 * 64 * 6 * 28 * 28 * 25 / 0.1e-3 / 1e9) + " |"), text);
        assertTrue(text.contains("| lenet5 | 64 | 2.00 | not available: "), text);
        assertTrue(text.contains("abc1234") && text.contains("Test Card 80GB"), text);
        assertTrue(text.contains("![ours / cuDNN per layer pass](benchmarks.png)"), text);
        assertTrue(text.contains("jcublas: 1"), "skipped trials are counted: " + text);
        assertPng(png);
    }

    @Test
    void torchColumnsAndRatiosWhenGiven(@TempDir Path dir) throws Exception {
        Path lenet = write(dir, "lenet.json", ours("lenet5", 64, 3.0, 20, null));
        Path alex = write(dir, "alexnet.json", ours("alexnet", 32, 90, 3000, null));
        Path torch = write(dir, "torch.json", "{\"available\": true, \"date\": \"2026-11-23\", \"device\": \"Test Card\","
                + " \"torch\": \"2.11.0\", \"cuda\": \"13.0\", \"cudnn\": 91900, \"fp32\": {"
                + "\"layers\": [{\"network\": \"lenet5\", \"name\": \"lenet5/conv1\", \"pass\": \"fwd\", \"batch\": 64,"
                + " \"torch_ms\": 0.05, \"gflop_per_s\": 1}],"
                + "\"networks\": [{\"name\": \"lenet5\", \"batch\": 64, \"torch_step_ms\": 1.5, \"torch_peak_mib\": 40.0},"
                + " {\"name\": \"alexnet\", \"batch\": 128, \"torch_step_ms\": 50, \"torch_peak_mib\": 4000}],"
                + "\"kernels\": [{\"name\": \"d2d_copy\", \"gb_per_s\": 2500.0}]}}");
        Path md = dir.resolve("out/b.md");
        Path json = dir.resolve("out/b.json");
        Path png = dir.resolve("out/charts/b.png");
        run("--ours", lenet.toString(), alex.toString(), "--jmh", writeJmh(dir).toString(), "--torch", torch.toString(),
                "--out", md.toString(), "--json", json.toString(), "--chart", png.toString(), "--commit", "c0ffee");
        Map<String, Object> r = JSON.std.mapFrom(Files.readString(json));
        Map<?, ?> fwd = (Map<?, ?>) ((List<?>) r.get("layers")).get(0);
        assertEquals(0.05, ((Number) fwd.get("torch_ms")).doubleValue(), 1e-12);
        List<?> nets = (List<?>) r.get("networks");
        Map<?, ?> lenetRow = (Map<?, ?>) nets.get(0);
        assertEquals(1.5, ((Number) lenetRow.get("torch_step_ms")).doubleValue());
        assertEquals(40.0, ((Number) lenetRow.get("torch_peak_mib")).doubleValue());
        Map<?, ?> alexRow = (Map<?, ?>) nets.get(1);
        assertEquals("not available: PyTorch did not run alexnet at batch 32", alexRow.get("torch_step_ms"));
        // no convnet4j bench copy figure: MemoryBenchmark's, 8 bytes per element of 64 Mi floats in 0.2 ms
        assertEquals(8.0 * (64 << 20) / 0.2e-3 / 1e9, ((Number) r.get("d2d_copy_gb_per_s")).doubleValue(), 1e-6);
        find((List<?>) r.get("kernels"), "d2d_copy 256MiB (ours, backend.copy)");
        find((List<?>) r.get("kernels"), "pytorch d2d_copy");

        String text = Files.readString(md);
        // ours / PyTorch: 0.2 / 0.05 = 4.00 for the layer, 3.0 / 1.5 = 2.00 for the step
        assertTrue(text.contains("| lenet5/conv1 | fwd | 0.200 | 0.100 | 0.050 | 2.00 | 4.00 |"), text);
        assertTrue(text.contains("| lenet5 | 64 | 3.00 | 1.50 | 2.00 |"), text);
        assertTrue(text.contains("PyTorch 2.11.0, CUDA 13.0, cuDNN 91900"), text);
        assertTrue(text.contains("](charts/b.png)"), text);
        assertPng(png);
    }

    @Test
    void torchUnavailableFileGivesItsReason(@TempDir Path dir) throws Exception {
        Path torch = write(dir, "torch.json", "{\"available\": false, \"reason\": \"PyTorch sees no CUDA device\"}");
        Path json = dir.resolve("r.json");
        run("--ours", write(dir, "l.json", ours("lenet5", 64, 2.0, 10, 100.0)).toString(), "--torch", torch.toString(),
                "--out", dir.resolve("r.md").toString(), "--json", json.toString(), "--chart",
                dir.resolve("r.png").toString(), "--commit", "x");
        Map<?, ?> net = (Map<?, ?>) ((List<?>) JSON.std.mapFrom(Files.readString(json)).get("networks")).get(0);
        assertEquals("not available: PyTorch sees no CUDA device", net.get("torch_step_ms"));
        assertTrue(Files.readString(dir.resolve("r.md")).contains("No convolution results"));
    }

    private static Map<?, ?> find(List<?> kernels, String name) {
        for (Object o : kernels) {
            if (name.equals(((Map<?, ?>) o).get("name"))) {
                return (Map<?, ?>) o;
            }
        }
        throw new AssertionError("no kernel '" + name + "' in " + kernels);
    }

    private static void assertPng(Path png) throws Exception {
        byte[] b = Files.readAllBytes(png);
        assertTrue(b.length > 1000, "chart has " + b.length + " bytes");
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(b, 4));
    }
}
