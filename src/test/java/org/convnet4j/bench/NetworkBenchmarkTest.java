package org.convnet4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.jr.ob.JSON;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.BackendUnavailableException;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cuda.CudaBackend;
import org.convnet4j.backend.cuda.DeviceOutOfMemoryException;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Sequential;
import org.convnet4j.tensor.Shape;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class NetworkBenchmarkTest {

    /** A graph network: every node timed once, merges included, in forward order. */
    @Test
    void resnet20TimesEveryNodeOfItsGraph() {
        BenchResult r;
        try (CpuBackend backend = new CpuBackend(2)) {
            r = NetworkBenchmark.run(backend, new NetworkBenchmark.Config("resnet20", 2, 1, 0, 7, 0));
        }
        List<String> expected;
        try (org.convnet4j.nn.Graph net = (org.convnet4j.nn.Graph) Models.create("resnet20", 10)) {
            expected = net.nodeNames().subList(1, net.nodeNames().size());
        }
        assertEquals(expected, r.layers().stream().map(NetworkBenchmark.LayerTiming::name).toList());
        NetworkBenchmark.LayerTiming add = r.layers().stream().filter(t -> t.name().equals("layer2.0.add"))
                .findFirst().orElseThrow();
        assertEquals("Add", add.type());
        assertEquals(org.convnet4j.tensor.Shape.of(2, 32, 14, 14), add.outputShape());
        assertTrue(add.backwardMs() > 0, add + " backward");
        assertEquals(10 * 2, r.layers().get(r.layers().size() - 1).outputShape().size());
    }

    @Test
    void lenet5OnTheCpuTimesEveryLayerAndWritesValidJson(@TempDir Path dir) throws Exception {
        NetworkBenchmark.Config config = new NetworkBenchmark.Config("lenet5", 2, 2, 1, 7, 1);
        BenchResult r;
        try (CpuBackend backend = new CpuBackend(2)) {
            r = NetworkBenchmark.run(backend, config);
        }
        List<String> expected;
        try (Sequential net = (Sequential) Models.create("lenet5", 10)) {
            expected = net.layers().stream().map(l -> l.name()).toList();
        }
        assertEquals(expected, r.layers().stream().map(NetworkBenchmark.LayerTiming::name).toList());
        for (NetworkBenchmark.LayerTiming t : r.layers()) {
            assertTrue(t.forwardMs() > 0 && Double.isFinite(t.forwardMs()), t + " forward");
            assertTrue(t.backwardMs() > 0 && Double.isFinite(t.backwardMs()), t + " backward");
        }
        assertEquals(2, r.stepMs().length);
        assertTrue(r.stepMedianMs() > 0);
        assertEquals(2 / r.stepMedianMs() * 1e3, r.imagesPerSecond(), 1e-9);
        assertTrue(r.peakBytes() > 4L * 2 * 28 * 28, "peak " + r.peakBytes() + " must hold at least the input");
        assertTrue(r.copyGbPerS() > 0, "copy bandwidth " + r.copyGbPerS());
        assertEquals("cpu", r.device().gemmProvider());

        Path file = dir.resolve("sub/lenet.json");
        BenchCommand.writeJson(r, file);
        Map<String, Object> json = JSON.std.mapFrom(Files.readString(file));
        assertEquals("lenet5", json.get("model"));
        assertEquals(2, ((Number) json.get("batch")).intValue());
        List<?> layers = (List<?>) json.get("layers");
        assertEquals(expected.size(), layers.size());
        for (Object o : layers) {
            Map<?, ?> l = (Map<?, ?>) o;
            assertTrue(((Number) l.get("fwd_ms")).doubleValue() > 0, l.toString());
            assertTrue(((Number) l.get("bwd_ms")).doubleValue() > 0, l.toString());
        }
        assertEquals(r.stepMedianMs(), ((Number) json.get("step_ms")).doubleValue(), 1e-12);
        assertEquals(r.peakMib(), ((Number) json.get("peak_mib")).doubleValue(), 1e-9);
        assertTrue(r.table().contains("conv1"), r.table());
    }

    @Test
    void onTheCudaHostFakesTheStepIsAlsoTimedAsAGraph() {
        try (Backend fake = org.convnet4j.backend.cuda.FakeCudaBackend.open()) {
            BenchResult r = NetworkBenchmark.run(fake, new NetworkBenchmark.Config("lenet5", 8, 3, 1, 1, 0));
            assertEquals(3, r.graphStepMs().length, "one time per replayed step");
            assertTrue(r.toJson().get("graph_step_ms") instanceof Double, String.valueOf(r.toJson()));
            assertTrue(r.table().contains("training step as a CUDA graph: median"), r.table());
        }
        try (CpuBackend cpu = new CpuBackend(1)) {
            BenchResult r = NetworkBenchmark.run(cpu, new NetworkBenchmark.Config("lenet5", 8, 1, 0, 1, 0));
            assertEquals("not available: not the CUDA backend", r.toJson().get("graph_step_ms"));
        }
    }

    @Test
    void commandPrintsTheTableAndWritesJson(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bench.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--model", "lenet5", "--batch", "2", "--device", "cpu", "--iterations", "1",
                "--warmup", "0", "--threads", "1", "--copy-mib", "1", "--json", file.toString());
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("training step: median"), out.toString());
        assertTrue(out.toString().contains("pool2"), out.toString());
        assertEquals("cpu", JSON.std.mapFrom(Files.readString(file)).get("backend"));
    }

    @Test
    void badArgumentsAreUsageErrors() {
        CommandLine cl = new CommandLine(new BenchCommand());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("--model", "vgg19"));
        assertTrue(err.toString().contains("unknown model 'vgg19'"), err.toString());
        assertEquals(2, cl.execute("--device", "tpu"));
        assertTrue(err.toString().contains("--device: unknown device 'tpu'; use auto, cpu or gpu"), err.toString());
        assertThrows(IllegalArgumentException.class, () -> new NetworkBenchmark.Config("lenet5", 0, 1, 0, 1, 0));
    }

    @Test
    void activationLowerBoundCountsEveryLayerOutputTwice() {
        // lenet5 at batch 1: input 784, then each layer's output; 2 copies (value and gradient) of 4 bytes
        long bytes = NetworkBenchmark.activationBytes("lenet5", Models.batchInputShape("lenet5", 1));
        long elements;
        try (Sequential net = (Sequential) Models.create("lenet5", 10)) {
            elements = 784 + net.outputShapes(Models.batchInputShape("lenet5", 1)).stream()
                    .mapToLong(s -> s.size()).sum();
        }
        assertEquals(8 * elements, bytes);
        assertTrue(bytes > 8 * (784 + 6 * 28 * 28));
    }

    @Test
    void largestConvWorkspaceFollowsTheShapesThroughTheNetwork() {
        Shape input = Models.batchInputShape("lenet5", 64);
        long conv1 = CudaBackend.convWorkspaceBytes(input, Shape.of(6, 1, 5, 5), ConvSpec.of(1, 2));
        long conv2 = CudaBackend.convWorkspaceBytes(Shape.of(64, 6, 14, 14), Shape.of(16, 6, 5, 5), ConvSpec.of(1, 0));
        try (Sequential net = (Sequential) Models.create("lenet5", 10)) {
            assertEquals(Math.max(conv1, conv2), NetworkBenchmark.largestConvWorkspace(net, input));
        }
        assertTrue(conv1 > 0 && conv2 > 0 && conv1 != conv2);
    }

    @Test
    void aBatchThatDoesNotFitSaysWhatItNeededAndWhatFailed() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            // A backend whose device "has" 50 kB per allocation: conv1's output at batch 4 (75 kB) fails.
            Backend small = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                    new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                        if (method.getName().equals("allocate") && args.length == 2
                                && ((Shape) args[0]).size() * 4L > 50_000) {
                            throw new DeviceOutOfMemoryException("cannot allocate " + ((Shape) args[0]).size() * 4L
                                    + " bytes: 50000 free");
                        }
                        try {
                            return method.invoke(cpu, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            BatchDoesNotFitException e = assertThrows(BatchDoesNotFitException.class,
                    () -> NetworkBenchmark.run(small, new NetworkBenchmark.Config("lenet5", 4, 1, 0, 1, 0)));
            long lowerBound = NetworkBenchmark.activationBytes("lenet5", Models.batchInputShape("lenet5", 4));
            assertTrue(e.getMessage().startsWith("lenet5 at batch 4 does not fit in memory"), e.getMessage());
            assertTrue(e.getMessage().contains(String.format(java.util.Locale.ROOT, "%.1f MiB",
                    lowerBound / (double) (1 << 20))), e.getMessage());
            assertTrue(e.getMessage().contains("cannot allocate 75264 bytes: 50000 free"), e.getMessage());
        }
    }

    @Test
    void deviceGpuWithoutAGpuIsAnErrorWithTheReason() {
        String reason;
        try (CudaBackend gpu = CudaBackend.open()) {
            Assumptions.abort("a GPU is present: " + gpu.description());
            return;
        } catch (BackendUnavailableException e) {
            reason = e.getMessage();
        }
        CommandLine cl = new CommandLine(new BenchCommand());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(1, cl.execute("--device", "gpu"));
        String said = err.toString().trim();
        assertTrue(said.startsWith("bench: --device gpu: no usable GPU: " + reason), said);
        assertTrue(said.contains("Use --device cpu"), "says what to do instead: " + said);
    }

    @Test
    void deviceAutoWithoutAGpuSaysWhyAndRunsOnTheCpu() {
        try (CudaBackend gpu = CudaBackend.open()) {
            Assumptions.abort("a GPU is present: " + gpu.description());
        } catch (BackendUnavailableException expected) {
            // no GPU: auto falls back
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute("--model", "lenet5", "--batch", "2", "--device", "auto", "--iterations", "1",
                "--warmup", "0", "--threads", "1", "--copy-mib", "0"), err.toString());
        assertTrue(err.toString().startsWith("bench: device: cpu, because no GPU can be used ("), err.toString());
        assertTrue(out.toString().contains("training step: median"), out.toString());
    }
}
