package org.convnet4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
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
 * The JMH harness end to end on the CPU at tiny sizes (as CI runs it): ConvBenchmark in this JVM (fork 0),
 * one short iteration per trial; ours produces times, cuDNN skips with its reason counted.
 */
class JmhTinyCpuTest {

    @Test
    void convBenchmarkRunsOnTheCpuAndSkipsCudnn(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("jmh.json");
        Options options = new OptionsBuilder()
                .include(ConvBenchmark.class.getName() + ".forward")
                .include(ConvBenchmark.class.getName() + ".backwardFilter")
                .param("layer", "lenet5/conv1", "alexnet-owt/conv1")
                .param("impl", "ours", "cudnn")
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
        assertEquals(8, results.size());
        for (RunResult r : results) {
            String impl = r.getParams().getParam("impl");
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
        assertEquals(8, parsed.size());
    }
}
