#!/usr/bin/env python3
"""convnet4j's CPU backend against PyTorch on the CPU, same thread count, same shapes.

Two workloads: one LeNet-5 training step at batch 64 (forward, loss, backward, SGD with momentum; the
network of bench_torch.py and of convnet4j's `bench`), and the AlexNet-OWT conv2 forward at batch 8
(64 -> 192 channels, 5x5, pad 2, 27x27). Each is timed in rounds that alternate ours and PyTorch's, so
both see the same machine load; each round reports medians of `--iters` runs after warm-up, and the
ratio ours / PyTorch (above 1: ours is slower).

Ours runs once per CPU GEMM (the default, a native BLAS where one loads, and the own SGEMM with
-Dconvnet4j.cpu.gemm=java), through a small Java program on the class path ./convnet4j builds
(target/classes and target/classpath.txt: run `./convnet4j info` once first).

Usage: python3 benchmarks/pytorch/bench_cpu.py [--threads 2] [--rounds 3] [--iters 10] [--out FILE.json]
Needs PyTorch (Debian: apt-get install python3-torch); without it, ours is timed alone.
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
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_torch import lenet5  # noqa: E402  (the same network as the GPU comparison)

try:
    import torch
    import torch.nn.functional as F
    TORCH_MISSING = None
except ImportError as e:
    TORCH_MISSING = f"PyTorch not installed: {e}"

LENET_BATCH = 64
CONV2 = dict(batch=8, c=64, hw=27, fn=192, k=5, pad=2)

OURS = r"""
import java.util.Arrays;
import org.convnet4j.backend.ConvSpec;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.backend.cpu.CpuGemm;
import org.convnet4j.bench.NetworkBenchmark;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;

public class BenchCpuOurs {
    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]), iters = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]), c = Integer.parseInt(args[3]), hw = Integer.parseInt(args[4]);
        int fn = Integer.parseInt(args[5]), k = Integer.parseInt(args[6]), pad = Integer.parseInt(args[7]);
        try (CpuBackend b = new CpuBackend(threads)) {
            double step = NetworkBenchmark.run(b, new NetworkBenchmark.Config("lenet5", 64, iters, 3, 42, 0)).stepMedianMs();
            ConvSpec spec = ConvSpec.of(1, pad);
            Shape xs = Shape.of(n, c, hw, hw), ws = Shape.of(fn, c, k, k);
            float[] xv = new float[xs.size()], wv = new float[ws.size()];
            java.util.Random r = new java.util.Random(1);
            for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
            for (int i = 0; i < wv.length; i++) wv[i] = (float) r.nextGaussian() * 0.01f;
            double[] ms = new double[iters];
            try (Tensor x = b.tensor(xs, xv); Tensor w = b.tensor(ws, wv);
                 Tensor y = b.allocate(spec.outputShape("conv2", xs, ws))) {
                for (int i = 0; i < 3; i++) b.conv2dForward(x, w, null, spec, y);
                for (int i = 0; i < iters; i++) {
                    long t0 = System.nanoTime();
                    b.conv2dForward(x, w, null, spec, y);
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            double conv = iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
            System.out.printf(java.util.Locale.ROOT, "{\"gemm\": \"%s\", \"lenet5_step_ms\": %.4f, \"conv2_fwd_ms\": %.4f}%n",
                    CpuGemm.describeDefault().replace("\"", "'"), step, conv);
        }
    }
}
"""


def ours(threads, iters, gemm, source):
    cp_file = ROOT / "target" / "classpath.txt"
    if not cp_file.is_file():
        sys.exit("bench_cpu: target/classpath.txt is missing: run ./convnet4j info once (it builds the jar)")
    cp = f"{ROOT / 'target' / 'classes'}:{cp_file.read_text().strip()}"
    cmd = ["java", "-Djava.awt.headless=true", "-cp", cp]
    if gemm:
        cmd.append(f"-Dconvnet4j.cpu.gemm={gemm}")
    cmd += [source, str(threads), str(iters)] + [str(CONV2[key]) for key in ("batch", "c", "hw", "fn", "k", "pad")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_times(threads, iters):
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

    return {"lenet5_step_ms": median_ms(step, iters), "conv2_fwd_ms": median_ms(conv, iters)}


def median_ms(fn, iters, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--out", help="also write the results as JSON here")
    args = p.parse_args()
    if TORCH_MISSING:
        print(f"bench_cpu: {TORCH_MISSING}; timing ours alone", file=sys.stderr)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "BenchCpuOurs.java")
        pathlib.Path(source).write_text(OURS)
        for r in range(args.rounds):
            row = {"round": r + 1, "ours": ours(args.threads, args.iters, None, source),
                   "ours_own_sgemm": ours(args.threads, args.iters, "java", source)}
            if not TORCH_MISSING:
                row["torch"] = torch_times(args.threads, args.iters)
            rounds.append(row)
            line = [f"round {r + 1}:"]
            for key in ("lenet5_step_ms", "conv2_fwd_ms"):
                mine, own = row["ours"][key], row["ours_own_sgemm"][key]
                part = f"{key} ours {mine:.2f} (own SGEMM {own:.2f})"
                if "torch" in row:
                    theirs = row["torch"][key]
                    part += f", torch {theirs:.2f}, ratio {mine / theirs:.2f} (own SGEMM {own / theirs:.2f})"
                line.append(part)
            print(" | ".join(line), flush=True)
    result = {"threads": args.threads, "iters": args.iters, "gemm": rounds[0]["ours"]["gemm"],
              "torch": None if TORCH_MISSING else torch.__version__, "torch_missing": TORCH_MISSING,
              "cpu": cpu_model(), "rounds": rounds}
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


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
