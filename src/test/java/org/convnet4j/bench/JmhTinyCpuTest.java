package org.convnet4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The JMH harness end to end on the CPU at tiny sizes (as CI runs it), in this JVM (fork 0), one short
 * iteration per trial: ConvolutionBenchmark's ours produces times and cuDNN skips with its reason counted;
 * every op family's benchmark runs each of its methods on one workload.
 */
class JmhTinyCpuTest {

    @Test
    void convolutionBenchmarkRunsOnTheCpuAndSkipsCudnn(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("jmh.json");
        Options options = new OptionsBuilder()
                .include(ConvolutionBenchmark.class.getName() + ".forward")
                .include(ConvolutionBenchmark.class.getName() + ".backwardFilter")
                .param("layer", "lenet5/conv1", "alexnet-owt/conv1", "caffenet/conv2")
                .param("impl", "ours", "cudnn")
                .param("algo", "auto", "winograd4x4")
                .param("device", "cpu")
                .param("tiny", "true")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(50))
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(24, results.size(), "3 layers (one grouped), 2 impls, 2 algos, 2 passes");
        for (RunResult r : results) {
            String impl = r.getParams().getParam("impl");
            if (!r.getParams().getParam("algo").equals("auto")) {
                assertTrue(r.getSecondaryResults().get("skipped").getScore() > 0, "a forced algorithm on the CPU");
                continue;
            }
            Result<?> primary = r.getPrimaryResult();
            Map<String, Result> secondary = r.getSecondaryResults();
            double skipped = secondary.get("skipped").getScore();
            if (impl.equals("ours")) {
                assertEquals(0, skipped, r.getParams().getBenchmark());
                assertTrue(primary.getScore() > 0, "ours took " + primary.getScore() + " ms");
            } else {
                assertTrue(skipped > 0, "cuDNN on the CPU must be skipped");
            }
        }
        List<Object> parsed = JSON.std.listFrom(Files.readString(json));
        assertEquals(24, parsed.size());
    }

    /** Each family's benchmark, one workload, our implementation: every method runs and takes time. */
    @Test
    void everyFamilyBenchmarkRunsOnTheCpu() throws Exception {
        Map<Class<?>, String[]> families = new LinkedHashMap<>();
        families.put(PoolingBenchmark.class, new String[] {"pool", "lenet5/pool1", "impl", "ours"});
        families.put(ActivationBenchmark.class, new String[] {"size", "alexnet/relu1", "impl", "ours"});
        families.put(DenseBenchmark.class, new String[] {"gemm", "alexnet/fc6-fwd", "impl", "backend"});
        families.put(SoftmaxLossBenchmark.class, new String[] {"shape", "lenet5/64x10", "impl", "ours"});
        families.put(DropoutBenchmark.class, new String[] {"size", "alexnet/drop7"});
        families.put(NormalizationBenchmark.class, new String[] {"shape", "alexnet/norm1"});
        families.put(OptimizersBenchmark.class, new String[] {"params", "alexnet"});
        families.put(MemoryBenchmark.class, new String[] {"size", "256MiB"});
        families.put(MergeBenchmark.class, new String[] {"size", "googlenet/inception3a"});
        Map<String, Integer> methods = new LinkedHashMap<>();
        for (Map.Entry<Class<?>, String[]> e : families.entrySet()) {
            OptionsBuilder b = new OptionsBuilder();
            b.include(e.getKey().getName() + "\\.").param("device", "cpu").param("tiny", "true").forks(0)
                    .warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.milliseconds(20));
            String[] p = e.getValue();
            for (int i = 0; i < p.length; i += 2) {
                b.param(p[i], p[i + 1]);
            }
            for (RunResult r : new Runner(b.build()).run()) {
                String name = r.getParams().getBenchmark();
                assertEquals(0, r.getSecondaryResults().get("skipped").getScore(), name + " was skipped");
                assertTrue(r.getPrimaryResult().getScore() > 0, name + " took " + r.getPrimaryResult().getScore());
                methods.merge(e.getKey().getSimpleName(), 1, Integer::sum);
            }
        }
        assertEquals(Map.of("PoolingBenchmark", 2, "ActivationBenchmark", 2, "DenseBenchmark", 1,
                "SoftmaxLossBenchmark", 2, "DropoutBenchmark", 2, "NormalizationBenchmark", 4,
                "OptimizersBenchmark", 2, "MemoryBenchmark", 1, "MergeBenchmark", 2), methods);
    }
}
