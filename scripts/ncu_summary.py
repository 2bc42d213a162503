#!/usr/bin/env python3
"""Summarizes ncu's raw CSV of one training step (scripts/gpu-run.sh, phase ncu) into a small CSV and text.

Usage: ncu_summary.py RAW.csv KERNELS_DIR OUT_DIR
  RAW.csv      `ncu --import R.ncu-rep --csv --page raw --print-units base`: a header row, a units row, then
               one row per profiled launch, in launch order
  KERNELS_DIR  kernels/: the names after `__global__ ... void` in its *.cu files are ours; every other
               kernel is a library's (cuBLAS, cuDNN)
  OUT_DIR      gets kernels.csv (one row per launch: time, DRAM traffic and rate, FLOP rate, the %-of-peak
               figures ncu gives) and summary.txt (lines starting "step", "top", "cuBLAS", "split-K")

The step is the launches up to the last optimizer update (a kernel whose name ends in "_update_f32") of
the first run of such updates; launches after it (the evaluation) are listed as "after". FLOPs count
thread-level float32 instructions: 2 per FFMA, 1 per FADD and FMUL.
"""
import csv
import os
import re
import sys

TIME_NS = {"nsecond": 1, "usecond": 1e3, "msecond": 1e6, "second": 1e9}
BYTES = {"byte": 1, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "KB": 1e3, "MB": 1e6, "GB": 1e9}
METRICS = {
    "time": "gpu__time_duration.sum",
    "read": "dram__bytes_read.sum",
    "write": "dram__bytes_write.sum",
    "ffma": "sm__sass_thread_inst_executed_op_ffma_pred_on.sum",
    "fadd": "sm__sass_thread_inst_executed_op_fadd_pred_on.sum",
    "fmul": "sm__sass_thread_inst_executed_op_fmul_pred_on.sum",
    "sm_pct": "sm__throughput.avg.pct_of_peak_sustained_elapsed",
    "mem_pct": "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed",
    "regs": "launch__registers_per_thread",
    "smem_dyn": "launch__shared_mem_per_block_dynamic",
    "smem_static": "launch__shared_mem_per_block_static",
}
UPDATE = re.compile(r"_update_f32$")
SPLIT_K = re.compile(r"split_?k|reduce", re.IGNORECASE)
NAME_CHARS = 150


def our_kernels(kernels_dir):
    """Names of the kernels defined in KERNELS_DIR/*.cu."""
    names = set()
    pattern = re.compile(r"__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s+)?void\s+(\w+)")
    for f in sorted(os.listdir(kernels_dir)):
        if f.endswith((".cu", ".cuh")):
            with open(os.path.join(kernels_dir, f), encoding="utf-8") as src:
                names.update(pattern.findall(src.read()))
    return names


def number(text, unit, scales):
    """The value of one cell in base units (None when empty); unit scales like Kbyte or usecond apply."""
    text = text.replace(",", "").strip()
    if text in ("", "n/a", "N/A"):
        return None
    return float(text) * scales.get(unit, 1)


def read_launches(path):
    """One dict per profiled launch: name, grid, block and the METRICS in base units."""
    with open(path, newline="", encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("==")]  # ncu's own messages, if any
    rows = list(csv.reader(lines))
    if len(rows) < 2:
        raise ValueError(f"{path}: no ncu rows (an empty profile, or not ncu's --csv --page raw output)")
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    if "Kernel Name" not in col:
        raise ValueError(f"{path}: no 'Kernel Name' column; header: {header[:12]}")
    units = rows[1] if rows[1] and rows[1][col["Kernel Name"]] == "" else [""] * len(header)
    body = rows[2:] if units is rows[1] else rows[1:]
    launches = []
    for r in body:
        if len(r) < len(header):
            continue
        launch = {"name": r[col["Kernel Name"]], "grid": r[col["Grid Size"]] if "Grid Size" in col else "",
                  "block": r[col["Block Size"]] if "Block Size" in col else ""}
        for key, metric in METRICS.items():
            i = col.get(metric)
            scales = TIME_NS if key == "time" else BYTES
            launch[key] = None if i is None else number(r[i], units[i], scales)
        launches.append(launch)
    return launches


def step_end(launches):
    """Index of the last update kernel of the first run of optimizer updates, or None."""
    end = None
    for i, launch in enumerate(launches):
        if UPDATE.search(launch["name"]):
            end = i
        elif end is not None:
            break
    return end


def rates(launch):
    """(DRAM GB/s, GFLOP/s) of one launch, None where a metric is missing."""
    t = launch["time"]
    if not t:
        return None, None
    traffic = None if launch["read"] is None or launch["write"] is None else launch["read"] + launch["write"]
    flops = None
    if None not in (launch["ffma"], launch["fadd"], launch["fmul"]):
        flops = 2 * launch["ffma"] + launch["fadd"] + launch["fmul"]
    return (None if traffic is None else traffic / t), (None if flops is None else flops / t)


def fmt(x, digits=1):
    return "" if x is None else f"{x:.{digits}f}"


def summarize(launches, ours, out_dir):
    end = step_end(launches)
    last = len(launches) - 1 if end is None else end
    with open(os.path.join(out_dir, "kernels.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["launch", "phase", "origin", "name", "grid", "block", "registers", "shared_bytes", "duration_us",
                    "dram_read_mb", "dram_write_mb", "dram_gb_per_s", "gflop_per_s", "sm_pct_of_peak",
                    "memory_pct_of_peak"])
        for i, k in enumerate(launches):
            gbps, gflops = rates(k)
            shared = None if k["smem_dyn"] is None else k["smem_dyn"] + (k["smem_static"] or 0)
            w.writerow([i, "step" if i <= last else "after", "ours" if k["name"] in ours else "library",
                        k["name"][:NAME_CHARS], k["grid"], k["block"], fmt(k["regs"], 0), fmt(shared, 0),
                        fmt(k["time"] and k["time"] / 1e3, 2), fmt(k["read"] and k["read"] / 1e6, 2),
                        fmt(k["write"] and k["write"] / 1e6, 2), fmt(gbps), fmt(gflops), fmt(k["sm_pct"]),
                        fmt(k["mem_pct"])])
    step = launches[:last + 1]
    total_ns = sum(k["time"] or 0 for k in step)
    lines = []
    if end is None:
        lines.append(f"step: end not found (no *_update_f32 launch among the {len(launches)} profiled): all counted, "
                     f"{total_ns / 1e3:.0f} us of kernel time")
    else:
        lines.append(f"step: {len(step)} launches (0..{end}, ending at {launches[end]['name']}), "
                     f"{total_ns / 1e3:.0f} us of kernel time; {len(launches) - len(step)} launches after it "
                     "(evaluation) not counted")
    by_name = {}
    for k in step:
        agg = by_name.setdefault(k["name"], {"n": 0, "ns": 0.0, "bytes": 0.0, "flops": 0.0})
        gbps, gflops = rates(k)
        agg["n"] += 1
        agg["ns"] += k["time"] or 0
        agg["bytes"] += (gbps or 0) * (k["time"] or 0)
        agg["flops"] += (gflops or 0) * (k["time"] or 0)
    ranked = sorted(by_name.items(), key=lambda kv: -kv[1]["ns"])
    lines.append("top kernels of the step by time (launches, total us, share, DRAM GB/s, GFLOP/s):")
    for name, a in ranked[:15]:
        lines.append(f"  {a['n']:4d} {a['ns'] / 1e3:10.1f} {100 * a['ns'] / max(total_ns, 1):5.1f}% "
                     f"{a['bytes'] / max(a['ns'], 1):8.1f} {a['flops'] / max(a['ns'], 1):9.1f}  "
                     f"{'' if name in ours else '[library] '}{name[:NAME_CHARS]}")
    library = [(n, a) for n, a in ranked if n not in ours]
    lines.append(f"cuBLAS/cuDNN kernels in the step: {len(library)} distinct, "
                 f"{sum(a['ns'] for _, a in library) / 1e3:.0f} us")
    for name, a in library:
        lines.append(f"  {a['n']:4d} x {a['ns'] / 1e3 / a['n']:9.1f} us  {name[:NAME_CHARS]}")
    split = [n for n, _ in library if SPLIT_K.search(n)]
    if split:
        lines.append(f"split-K: yes, {len(split)} library kernel(s) with split-K or reduce in their name: "
                     + "; ".join(s[:80] for s in split))
    else:
        lines.append("split-K: no library kernel of the step has split-K or reduce in its name")
    with open(os.path.join(out_dir, "summary.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    raw, kernels_dir, out_dir = argv[1:]
    os.makedirs(out_dir, exist_ok=True)
    summarize(read_launches(raw), our_kernels(kernels_dir), out_dir)


if __name__ == "__main__":
    main(sys.argv)
