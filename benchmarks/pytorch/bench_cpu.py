#!/usr/bin/env python3
"""convnet4j's CPU backend against PyTorch on the CPU, same thread count, same shapes.

Two workloads: one LeNet-5 training step at batch 64 (forward, loss, backward, SGD with momentum; the
network of bench_torch.py and of convnet4j's `bench`), and the AlexNet-OWT conv2 forward at batch 8
(64 -> 192 channels, 5x5, pad 2, 27x27).

Each side runs in its own process with N threads, its BLAS included (OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS = N; PyTorch: torch.set_num_threads(N); ours: CpuBackend(N)), once with --threads
(default 2) and once with 1 thread. Rounds alternate ours and PyTorch so both see the same machine load.
Each run reports, over --iters timed runs after warm-up (ours: 3 s of untimed runs, for the JIT): the median and the fastest wall time, and the
process CPU time per run. On a shared machine the wall time counts the time the threads wait for a
core; the 1-thread CPU time does not, so its ratio is the steady one.

Ours runs once per CPU GEMM: the default (a native BLAS where one loads) and the own SGEMM
(-Dconvnet4j.cpu.gemm=java), on the class path ./convnet4j builds (target/classes and
target/classpath.txt: run `./convnet4j info` once first).

Usage: python3 benchmarks/pytorch/bench_cpu.py [--threads 2] [--rounds 3] [--iters 20] [--out FILE.json]
Needs PyTorch (Debian: apt-get install python3-torch, then run it with /usr/bin/python3); without it,
ours is timed alone.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent

LENET_BATCH = 64
CONV2 = dict(batch=8, c=64, hw=27, fn=192, k=5, pad=2)
WORKLOADS = ("lenet5_step", "conv2_fwd")

OURS = r"""
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import org.convnet4j.backend.Backend;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cpu.CpuGemm;
import org.convnet4j.models.Models;
import org.convnet4j.nn.Sequential;
import org.convnet4j.nn.SoftmaxCrossEntropyLoss;
import org.convnet4j.nn.optim.Optimizer;
import org.convnet4j.nn.optim.Optimizers;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

public class BenchCpuOurs {
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * {"median": ms, "min": ms, "cpu": process CPU ms per run} of iters runs, after untimed ones for at
     * least 3 seconds (the JIT compiles the hot loops in that time).
     */
    static String time(Runnable r, int iters) {
        long warm = System.nanoTime();
        for (int i = 0; i < 3 || System.nanoTime() - warm < 3_000_000_000L; i++) r.run();
        double[] ms = new double[iters];
        long cpu0 = cpuNanos();
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double cpu = (cpuNanos() - cpu0) / 1e6 / iters;
        Arrays.sort(ms);
        double median = iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
        return String.format(java.util.Locale.ROOT, "{\"median\": %.4f, \"min\": %.4f, \"cpu\": %.4f}", median, ms[0], cpu);
    }

    static Tensor random(Backend b, Shape s, long seed, float scale) {
        Random r = new Random(seed);
        float[] v = new float[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian() * scale;
        return b.tensor(s, v);
    }

    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]), iters = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]), c = Integer.parseInt(args[3]), hw = Integer.parseInt(args[4]);
        int fn = Integer.parseInt(args[5]), k = Integer.parseInt(args[6]), pad = Integer.parseInt(args[7]);
        try (CpuBackend b = new CpuBackend(threads)) {
            Shape input = Models.batchInputShape("lenet5", 64);
            int[] labelsHost = new Random(2).ints(64, 0, 10).toArray();
            String lenet;
            try (Sequential net = Models.create("lenet5", 10);
                 SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss(b);
                 Optimizer opt = Optimizers.create("momentum", b, 0.01f, 0f);
                 Tensor x = random(b, input, 1, 1f);
                 Tensor labels = b.intTensor(Shape.of(64), labelsHost)) {
                net.initialize(b, input, 42);
                lenet = time(() -> {
                    net.zeroGrad();
                    loss.forward(net.forward(x, true), labels);
                    net.backward(loss.backward(), false);
                    opt.step(net.parameters());
                }, iters);
            }
            ConvSpec spec = ConvSpec.of(1, pad);
            Shape xs = Shape.of(n, c, hw, hw), ws = Shape.of(fn, c, k, k);
            String conv;
            try (Tensor x = random(b, xs, 3, 1f); Tensor w = random(b, ws, 4, 0.01f);
                 Tensor y = b.allocate(spec.outputShape("conv2", xs, ws))) {
                conv = time(() -> b.conv2dForward(x, w, null, spec, y), iters);
            }
            System.out.printf("{\"gemm\": \"%s\", \"lenet5_step\": %s, \"conv2_fwd\": %s}%n",
                    CpuGemm.describeDefault().replace("\"", "'"), lenet, conv);
        }
    }
}
"""


def env_for(threads):
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(threads)
    return env


def ours(threads, iters, gemm, source):
    cp_file = ROOT / "target" / "classpath.txt"
    if not cp_file.is_file():
        sys.exit("bench_cpu: target/classpath.txt is missing: run ./convnet4j info once (it builds the jar)")
    cp = f"{ROOT / 'target' / 'classes'}:{cp_file.read_text().strip()}"
    cmd = ["java", "-Djava.awt.headless=true", "-cp", cp]
    if gemm:
        cmd.append(f"-Dconvnet4j.cpu.gemm={gemm}")
    cmd += [source, str(threads), str(iters)] + [str(CONV2[key]) for key in ("batch", "c", "hw", "fn", "k", "pad")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env_for(threads)).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_side(threads, iters):
    """Runs this script's --torch-only mode in a new process with the thread settings in its environment."""
    cmd = [sys.executable, __file__, "--torch-only", "--threads", str(threads), "--iters", str(iters)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env_for(threads)).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_times(threads, iters):
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, str(HERE))
    from bench_torch import lenet5  # the same network as the GPU comparison
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    model = lenet5().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(LENET_BATCH, 1, 28, 28)
    t = torch.randint(0, 10, (LENET_BATCH,))

    def step():
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), t).backward()
        opt.step()

    cx = torch.randn(CONV2["batch"], CONV2["c"], CONV2["hw"], CONV2["hw"])
    cw = torch.randn(CONV2["fn"], CONV2["c"], CONV2["k"], CONV2["k"]) * 0.01

    def conv():
        with torch.no_grad():
            F.conv2d(cx, cw, padding=CONV2["pad"])

    return {"torch": torch.__version__, "lenet5_step": timed(step, iters), "conv2_fwd": timed(conv, iters)}


def timed(fn, iters, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    cpu0 = time.process_time()
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    cpu = (time.process_time() - cpu0) * 1e3 / iters
    return {"median": statistics.median(times), "min": min(times), "cpu": cpu}


def torch_missing():
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True, text=True)
    return None if probe.returncode == 0 else "PyTorch not installed for " + sys.executable


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--out", help="also write the results as JSON here")
    p.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_only:
        print(json.dumps(torch_times(args.threads, args.iters)))
        return
    missing = torch_missing()
    if missing:
        print(f"bench_cpu: {missing}; timing ours alone", file=sys.stderr)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "BenchCpuOurs.java")
        pathlib.Path(source).write_text(OURS)
        for r in range(args.rounds):
            for threads in dict.fromkeys((args.threads, 1)):
                row = {"round": r + 1, "threads": threads, "load": os.getloadavg()[0],
                       "ours": ours(threads, args.iters, None, source),
                       "ours_own_sgemm": ours(threads, args.iters, "java", source)}
                if not missing:
                    row["torch"] = torch_side(threads, args.iters)
                rounds.append(row)
                print(summary(row), flush=True)
    result = {"iters": args.iters, "gemm": rounds[0]["ours"]["gemm"], "torch_missing": missing,
              "torch": None if missing else rounds[0]["torch"]["torch"], "cpu": cpu_model(), "rounds": rounds}
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


def summary(row):
    parts = [f"round {row['round']}, {row['threads']} thread(s), load {row['load']:.0f}:"]
    for w in WORKLOADS:
        mine, own = row["ours"][w], row["ours_own_sgemm"][w]
        part = f"{w} ours {mine['median']:.2f} ms (min {mine['min']:.2f}, cpu {mine['cpu']:.2f}; own SGEMM {own['median']:.2f})"
        if "torch" in row:
            theirs = row["torch"][w]
            part += (f", torch {theirs['median']:.2f} (min {theirs['min']:.2f}, cpu {theirs['cpu']:.2f});"
                     f" ours/torch median {mine['median'] / theirs['median']:.2f}, min {mine['min'] / theirs['min']:.2f},"
                     f" cpu {mine['cpu'] / theirs['cpu']:.2f} (own SGEMM: median {own['median'] / theirs['median']:.2f},"
                     f" cpu {own['cpu'] / theirs['cpu']:.2f})")
        parts.append(part)
    return "\n  ".join(parts)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


if __name__ == "__main__":
    main()
