package org.convnet4j.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logic of the GPU host run (scripts/gpu-run.sh) that can be checked without a GPU: the time budgets and
 * step selection of scripts/gpu-run-lib.sh with budgets of seconds, the determinism comparison, the ncu
 * summary (scripts/ncu_summary.py) on a hand-written ncu CSV, and the correctness record
 * (scripts/gpu_record.py) on a hand-made run folder. The whole script is rehearsed end to end by
 * {@code scripts/gpu-prepare.sh --rehearse}, which takes minutes.
 */
class GpuRunScriptTest {

    @TempDir
    Path dir;

    /** Runs a bash script with the library sourced and LOGS, SUMMARY, COMMANDS in the temp folder; stdout. */
    private String bash(String script, String... env) throws Exception {
        String prelude = "source scripts/gpu-run-lib.sh; LOGS=" + dir + "; SUMMARY=" + dir + "/summary.txt; COMMANDS="
                + dir + "/commands.txt; ";
        return run(List.of("bash", "-c", prelude + script), env);
    }

    private static String run(List<String> command, String... env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        for (int i = 0; i < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + out);
        return out;
    }

    /** Asserts that some line of OUT matches REGEX in full. */
    private static void assertLine(String out, String regex) {
        assertTrue(out.lines().anyMatch(l -> l.matches(regex)), "no line matches " + regex + " in:\n" + out);
    }

    @Test
    void stepsRunWithinTheirPhaseAndTheRunAndAreSkippedOnceTheTimeIsSpent() throws Exception {
        // A 6 s run keeping 1 s in reserve: phase a may use 2 s, so its second step is cut to (at most) 2 s and
        // times out; phase b then has the 2-3 s left to the reserve: its sleep is cut to that and times out;
        // phase c finds the run's time spent. (Whole seconds: a step can straddle a tick, hence the ranges.)
        String out = bash("run_begin 6; "
                + "if phase a 2; then step fast 10 true; step slow 10 sleep 20; step late 10 true; fi; "
                + "if phase b 10; then step rest 10 sleep 20; fi; "
                + "if phase c 10; then step never 10 true; fi; step x 10 true; echo rc-of-skipped=$?",
                "GPU_RUN_RESERVE", "1", "GPU_RUN_MIN_STEP", "1");
        assertLine(out, "== fast: exit 0 after [01] s \\(limit [12] s\\)");
        assertLine(out, "== slow: TIMED OUT after [12] s \\(limit [12] s\\)");
        assertLine(out, "== late: skipped, the time budget of phase a is spent \\(-?[01] s left\\)");
        assertLine(out, "== rest: TIMED OUT after [1-3] s \\(limit [1-3] s\\)");
        assertLine(out, "== c: skipped, the run's time budget is spent");
        assertLine(out, "rc-of-skipped=125");
        assertTrue(!out.contains("== never:"), out);
        assertEquals(out.lines().filter(l -> l.startsWith("==")).toList(),
                Files.readAllLines(dir.resolve("summary.txt")).stream().filter(l -> l.startsWith("==")).toList(),
                "every outcome line is in the summary too");
        List<String> commands = Files.readAllLines(dir.resolve("commands.txt"));
        assertEquals(3, commands.size(), String.join("\n", commands));
        assertLine(commands.get(1), "slow \\(limit [12] s\\): sleep 20");

        String failing = bash("run_begin 60; step fail 5 bash -c 'echo one; exit 3'; echo rc=$?");
        assertLine(failing, "== fail: exit 3 after [01] s \\(limit 5 s\\)");
        assertLine(failing, "one");   // the end of a failing step's log is shown
        assertLine(failing, "rc=3");
        assertEquals("one\n", Files.readString(dir.resolve("fail.log")));
    }

    @Test
    void onlyAndSkipSelectPhasesAndSteps() throws Exception {
        String script = "run_begin 60; if phase a 10; then step one 5 true; step two 5 true; fi; "
                + "if phase b 10; then step three 5 true; fi";
        String only = bash(script, "GPU_RUN_ONLY", "b");
        assertTrue(only.contains("== a: not selected"), only);
        assertTrue(!only.contains("== one:") && only.contains("== three: exit 0"), only);
        String skip = bash(script, "GPU_RUN_SKIP", "two,b");
        assertTrue(skip.contains("== one: exit 0") && skip.contains("== two: not selected (GPU_RUN_SKIP)"), skip);
        assertTrue(skip.contains("== b: not selected") && !skip.contains("== three:"), skip);
    }

    @Test
    void sameTrainingComparesTheLossAndAccuracyColumnsOnly() throws Exception {
        String header = "epoch,train_loss,train_accuracy,test_accuracy,seconds,images_per_second\n";
        Files.writeString(dir.resolve("a.csv"), header + "1,0.198427,0.939051,0.977400,1.688,38020.9\n"
                + "2,0.063665,0.980139,0.981300,1.401,44817.5\n");
        Files.writeString(dir.resolve("b.csv"), header + "1,0.198427,0.939051,0.977400,1.701,37700.2\n"
                + "2,0.063665,0.980139,0.981300,1.399,44870.0\n");
        Files.writeString(dir.resolve("c.csv"), header + "1,0.198427,0.939051,0.977400,1.688,38020.9\n"
                + "2,0.063666,0.980139,0.981300,1.401,44817.5\n");
        Files.writeString(dir.resolve("d.csv"), "epoch,loss\n1,0.2\n");
        String cmp = "cd " + dir + "; for x in b c d e; do echo \"$x: $(same_training a.csv $x.csv) rc=$?\"; done";
        String out = bash(cmp);
        assertTrue(out.contains("b: identical (2 epochs; epoch,train_loss,train_accuracy,test_accuracy) rc=0"), out);
        assertTrue(out.contains("c: DIFFERENT: first differing row: < 2,0.063665,0.980139,0.981300 "
                + "> 2,0.063666,0.980139,0.981300  rc=1"), out);
        assertTrue(out.contains("d: not compared: d.csv has no column train_loss rc=2"), out);
        assertTrue(out.contains("e: not compared:  e.csv missing rc=2"), out);
    }

    @Test
    void ncuSummaryFindsTheStepItsLibraryKernelsAndSplitK() throws Exception {
        String metrics = "\"gpu__time_duration.sum\",\"dram__bytes_read.sum\",\"dram__bytes_write.sum\","
                + "\"sm__sass_thread_inst_executed_op_ffma_pred_on.sum\",\"sm__sass_thread_inst_executed_op_fadd_pred_on.sum\","
                + "\"sm__sass_thread_inst_executed_op_fmul_pred_on.sum\"";
        String csv = "\"ID\",\"Process ID\",\"Kernel Name\",\"Block Size\",\"Grid Size\"," + metrics + "\n"
                + "\"\",\"\",\"\",\"\",\"\",\"usecond\",\"Mbyte\",\"Mbyte\",\"inst\",\"inst\",\"inst\"\n"
                + row(0, "im2col_f32", "10", "100", "50", "0", "0", "0")
                + row(1, "void cutlass::Kernel2<cutlass_80_simt_sgemm_128x64_8x5_nt_align1>(T1::Params)", "1,000",
                        "200", "100", "500000000", "0", "0")
                + row(2, "void splitKreduce_kernel<32, 16, int, float, float>(cublasSplitKParams<float>)", "5", "40",
                        "20", "0", "1000000", "0")
                + row(3, "momentum_update_f32", "2", "8", "8", "0", "0", "0")
                + row(4, "momentum_update_f32", "2", "8", "8", "0", "0", "0")
                + row(5, "relu_forward_f32", "3", "30", "30", "0", "0", "0");
        Path raw = dir.resolve("raw.csv");
        Files.writeString(raw, csv);
        String out = run(List.of("python3", "scripts/ncu_summary.py", raw.toString(), "kernels", dir.toString()));
        assertTrue(out.contains("step: 5 launches (0..4, ending at momentum_update_f32), 1019 us of kernel time; "
                + "1 launches after it (evaluation) not counted"), out);
        assertTrue(out.contains("cuBLAS/cuDNN kernels in the step: 2 distinct, 1005 us"), out);
        assertTrue(out.contains("split-K: yes, 1 library kernel(s) with split-K or reduce in their name: "
                + "void splitKreduce_kernel"), out);
        List<String> rows = Files.readAllLines(dir.resolve("kernels.csv"));
        assertEquals(7, rows.size(), String.join("\n", rows));
        // 1,000 us, 300 MB moved, 2 * 5e8 FLOP: 300 GB/s and 1000 GFLOP/s.
        assertTrue(rows.get(2).startsWith("1,step,library,void cutlass::Kernel2<cutlass_80_simt_sgemm_128x64_8x5_nt_align1>"
                + "(T1::Params),,,,,1000.00,200.00,100.00,300.0,1000.0,,"), rows.get(2));
        assertTrue(rows.get(6).startsWith("5,after,ours,relu_forward_f32"), rows.get(6));
    }

    private static String row(int id, String name, String us, String readMb, String writeMb, String ffma, String fadd,
                              String fmul) {
        return String.join(",", List.of(q(id + ""), q("7"), q(name), q(""), q(""), q(us), q(readMb), q(writeMb), q(ffma),
                q(fadd), q(fmul))) + "\n";
    }

    private static String q(String s) {
        return "\"" + s + "\"";
    }

    @Test
    void correctnessRecordReadsTheRunFolder() throws Exception {
        Path run = Files.createDirectories(dir.resolve("gpu-run"));
        Files.createDirectories(run.resolve("logs"));
        Files.createDirectories(run.resolve("lenet"));
        Files.writeString(run.resolve("meta.txt"), "date=2026-12-01T10:00:00Z\ncommit=abc1234\nmode=gpu\n"
                + "device=NVIDIA H200\ndriver=580.1 (CUDA 13.0)\n");
        Files.writeString(run.resolve("summary.txt"), "== native-tests: exit 1 after 20 s (limit 140 s)\n"
                + "  FAILED: │  ├─ PoolingOpsTest ✘ boom\ndeterminism, eager: identical (2 epochs; x)\n"
                + "  memcheck: ========= ERROR SUMMARY: 0 errors\n== lenet-graph: skipped, no flag\n");
        Files.writeString(run.resolve("logs/native-tests.log"), "AlexNet overfit: step 30, train accuracy 1.0000\n"
                + "[       170 tests found           ]\n[       169 tests successful      ]\n[         1 tests failed          ]\n");
        Files.writeString(run.resolve("logs/info.log"), "cuda: --device auto: cuda (device 0, GEMM cublas13)\n");
        Files.writeString(run.resolve("lenet/summary.json"), "{\"test_accuracy\": 0.9912, \"best_test_accuracy\": 0.9915,"
                + " \"epochs\": 10, \"seconds\": 12.5, \"images_per_second\": 48000.0}");
        Files.writeString(run.resolve("commands.txt"), "native-tests (limit 140 s): env JAVA_OPTS=x $B/bin/native-tests\n");
        Path docs = dir.resolve("docs");
        run(List.of("python3", "scripts/gpu_record.py", "correctness", run.toString(), "docs/results/gpu-run-2026-12-01/",
                docs.toString()));
        Map<String, Object> c = JSON.std.mapFrom(Files.readString(docs.resolve("results/gpu-correctness.json")));
        assertEquals("2026-12-01", c.get("date"));
        assertEquals("NVIDIA H200", c.get("device"));
        assertEquals("abc1234", c.get("commit"));
        assertEquals("cublas13", c.get("gemm_provider"));
        assertEquals(Map.of("found", 170, "successful", 169, "failed", 1), c.get("native_tests"));
        assertEquals(List.of("│  ├─ PoolingOpsTest ✘ boom"), c.get("native_test_failures"));
        assertEquals("AlexNet overfit: step 30, train accuracy 1.0000", c.get("alexnet_overfit"));
        assertEquals(0.9912, ((Map<?, ?>) c.get("lenet")).get("test_accuracy"));
        assertEquals("not available: skipped, no flag", c.get("lenet_cuda_graph"));
        assertEquals("identical (2 epochs; x)", ((Map<?, ?>) c.get("determinism")).get("eager"));
        assertEquals("========= ERROR SUMMARY: 0 errors", ((Map<?, ?>) c.get("sanitizer")).get("memcheck"));
        assertEquals("not available: not run", ((Map<?, ?>) c.get("sanitizer")).get("racecheck"));
        assertEquals(List.of("native-tests (limit 140 s): env JAVA_OPTS=x $B/bin/native-tests"), c.get("commands"));
        String md = Files.readString(docs.resolve("results/gpu-correctness.md"));
        assertTrue(md.startsWith("# GPU run: NVIDIA H200 (2026-12-01)"), md);
        assertTrue(md.contains("| LeNet-5 on MNIST, defaults | **99.12 %** test accuracy after 10 epoch(s) (best 99.15 %),"
                + " 12.5 s, 48,000 images/s |"), md);
        assertTrue(md.contains("[docs/results/gpu-run-2026-12-01/](gpu-run-2026-12-01)"), md);
    }

    @Test
    void keepCopiesTheReplacedRecordsIntoTheirOwnRunFolderWithLinksRebased() throws Exception {
        Path docs = dir.resolve("docs");
        Path results = Files.createDirectories(docs.resolve("results"));
        Path old = Files.createDirectories(results.resolve("gpu-run-2026-11-23"));
        Path current = Files.createDirectories(results.resolve("gpu-run-2026-12-01"));
        Files.writeString(results.resolve("gpu-correctness.json"), "{\"date\": \"2026-11-23\"}");
        Files.writeString(results.resolve("gpu-correctness.md"), "[json](gpu-correctness.json), [host](../gpu-host.md),"
                + " [raw](gpu-run-2026-11-23/correctness/), [web](https://example.org/a), [here](#checks)");
        Files.writeString(results.resolve("benchmarks.json"), "{\"date\": \"2026-12-01\"}");  // already the new run's
        Files.writeString(docs.resolve("benchmarks.md"), "![chart](benchmarks.png)");
        String out = run(List.of("python3", "scripts/gpu_record.py", "keep", docs.toString(), current.toString()));
        assertEquals("[json](gpu-correctness.json), [host](../../gpu-host.md), [raw](correctness/),"
                + " [web](https://example.org/a), [here](#checks)", Files.readString(old.resolve("gpu-correctness.md")), out);
        assertEquals("{\"date\": \"2026-11-23\"}", Files.readString(old.resolve("gpu-correctness.json")));
        assertTrue(!Files.exists(old.resolve("benchmarks.md")) && !Files.exists(current.resolve("benchmarks.md")), out);
    }
}
