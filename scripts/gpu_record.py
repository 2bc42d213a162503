#!/usr/bin/env python3
"""Writes docs/results/gpu-correctness.json and .md from one unpacked scripts/gpu-run.sh run, and adds the
run's commands and raw-results folder to the benchmark report that `convnet4j report` wrote from it.

Usage: gpu_record.py correctness|benchmarks RUN_DIR RAW_LINK DOCS_DIR
       gpu_record.py keep DOCS_DIR NEW_RUN_FOLDER
  keep         copy the records the run replaces (results/gpu-correctness.json and .md, results/benchmarks.json,
               benchmarks.md and .png) into the folder of the run they describe (results/gpu-run-<their
               date>/, where it exists, is not NEW_RUN_FOLDER and lacks them), their relative links rebased
  correctness  write DOCS_DIR/results/gpu-correctness.json and .md
  benchmarks   add "commands" and "raw" to DOCS_DIR/results/benchmarks.json and a Commands section to
               DOCS_DIR/benchmarks.md, just written from this run by `convnet4j report`
  RUN_DIR   the tarball's gpu-run/ folder (meta.txt, summary.txt, commands.txt, logs/, lenet/, ...)
  RAW_LINK  where its raw files are kept, relative to the repository root (docs/results/gpu-run-DATE/)
  DOCS_DIR  the docs/ folder to write into
Called by scripts/gpu-record.sh. Whatever the run did not produce is "not available: <reason>".
"""
import json
import os
import re
import shutil
import sys


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def meta(run):
    """meta.txt's key=value lines."""
    out = {}
    for line in (read(os.path.join(run, "meta.txt")) or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def native_tests(run):
    log = read(os.path.join(run, "logs", "native-tests.log"))
    if log is None:
        return "not available: the native tests did not run (no logs/native-tests.log)"
    counts = {kind: int(n) for n, kind in re.findall(r"^\[ *(\d+) tests (\w+) *\]", log, re.M)}
    if not counts:
        return "not available: no JUnit summary in logs/native-tests.log (cut short?)"
    return counts


def training(run, name):
    summary = read(os.path.join(run, name, "summary.json"))
    if summary is None:
        return f"not available: no {name}/summary.json"
    s = json.loads(summary)
    keep = ["test_accuracy", "best_test_accuracy", "epochs", "seconds", "images_per_second", "backend_description"]
    return {k: s[k] for k in keep if k in s}


def summary_line(lines, prefix, missing):
    """The text after PREFIX of the first summary line starting with it, else MISSING."""
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return missing


def correctness(run, raw_link):
    m = meta(run)
    lines = (read(os.path.join(run, "summary.txt")) or "").splitlines()
    stripped = [line.strip() for line in lines]
    info = read(os.path.join(run, "logs", "info.log")) or ""
    gemm = re.search(r"--device auto: \S+ \(.*GEMM (\w+)\)", info)
    native = read(os.path.join(run, "logs", "native-tests.log")) or ""
    overfit = re.findall(r"AlexNet overfit: step .*", native)
    ncu = read(os.path.join(run, "ncu", "summary.txt"))
    skipped_graph = summary_line(stripped, "== lenet-graph:", None)
    return {
        "date": m.get("date", "unknown")[:10],
        "device": m.get("device", "not available: no device query"),
        "driver": m.get("driver", "not available: no device query"),
        "commit": m.get("commit", "unknown"),
        "mode": m.get("mode", "unknown"),
        "gemm_provider": gemm.group(1) if gemm else "not available: no `convnet4j info` line naming it",
        "native_tests": native_tests(run),
        "native_test_failures": [s[len("FAILED: "):] for s in stripped if s.startswith("FAILED: ")],
        "alexnet_overfit": overfit[-1] if overfit else "not available: no AlexNet overfit line",
        "lenet": training(run, "lenet"),
        "lenet_cuda_graph": (f"not available: {skipped_graph}" if skipped_graph else training(run, "lenet-graph")),
        "determinism": {
            "eager": summary_line(stripped, "determinism, eager:", "not available: not run"),
            "graph": summary_line(stripped, "determinism, graph:", "not available: not run"),
            "eager_vs_graph": summary_line(stripped, "determinism, eager vs graph (for information):",
                                           "not available: not run"),
        },
        "sanitizer": {
            "memcheck": summary_line(stripped, "memcheck:", "not available: not run"),
            "racecheck": summary_line(stripped, "racecheck:", "not available: not run"),
        },
        "ncu_owt_step": ncu.splitlines() if ncu else "not available: not run (see steps)",
        "steps": [s for s in stripped if s.startswith("==")],
        "commands": (read(os.path.join(run, "commands.txt")) or "").splitlines(),
        "raw": raw_link,
    }


def cell(value):
    """A value as one Markdown table cell."""
    if isinstance(value, dict):
        value = ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(c, raw_from_md):
    title = "GPU run" if c["mode"] == "gpu" else "GPU run REHEARSAL (no GPU: nothing here measures a card)"
    lenet = c["lenet"]
    lenet_text = (f"**{100 * lenet['test_accuracy']:.2f} %** test accuracy after {lenet.get('epochs')} epoch(s) "
                  f"(best {100 * lenet.get('best_test_accuracy', 0):.2f} %), {lenet.get('seconds', 0):.1f} s, "
                  f"{lenet.get('images_per_second', 0):,.0f} images/s"
                  if isinstance(lenet, dict) and "test_accuracy" in lenet else cell(lenet))
    rows = [
        ("native tests (`-Dconvnet4j.requireGpu=true bin/native-tests`)", cell(c["native_tests"])),
        ("native test failures", cell("; ".join(c["native_test_failures"]) or "none")),
        ("AlexNet overfit check", cell(c["alexnet_overfit"])),
        ("LeNet-5 on MNIST, defaults", lenet_text),
        ("LeNet-5, `--cuda-graph on`", cell(c["lenet_cuda_graph"])),
        ("determinism, eager (same seed twice)", cell(c["determinism"]["eager"])),
        ("determinism, CUDA graph", cell(c["determinism"]["graph"])),
        ("eager vs graph (for information)", cell(c["determinism"]["eager_vs_graph"])),
        ("compute-sanitizer memcheck, short training", cell(c["sanitizer"]["memcheck"])),
        ("compute-sanitizer racecheck, shared-memory kernels' tests", cell(c["sanitizer"]["racecheck"])),
    ]
    ncu = c["ncu_owt_step"]
    out = [f"# {title}: {c['device']} ({c['date']})", "",
           f"Commit {c['commit']} (from the bundle's BUILD file), driver {c['driver']}, GEMM provider "
           f"{c['gemm_provider']}; mode: {c['mode']}. Written by `scripts/gpu-record.sh` from one run of "
           f"`scripts/gpu-run.sh`; machine-readable: [gpu-correctness.json](gpu-correctness.json); raw logs under "
           f"[{c['raw']}]({raw_from_md}).", "",
           "| check | result |", "| --- | --- |"]
    out += [f"| {k} | {v} |" for k, v in rows]
    out += ["", "## ncu: one AlexNet-OWT training step (`--clock-control none`)", ""]
    out += ["```", *ncu, "```"] if isinstance(ncu, list) else [ncu]
    out += ["", "## Steps", "", "```", *c["steps"], "```", "", "## Commands", "", "```", *c["commands"], "```", ""]
    return "\n".join(out)


def annotate_benchmarks(docs, c):
    """Adds the run's bench-phase commands and raw folder to the report's JSON and Markdown."""
    bench = [line for line in c["commands"] if re.match(r"(# |bench|jmh|torch)", line)]
    path = os.path.join(docs, "results", "benchmarks.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        report["commands"] = bench
        report["raw"] = c["raw"]
        with open(path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    md = os.path.join(docs, "benchmarks.md")
    if os.path.exists(md):
        with open(md, "a", encoding="utf-8") as f:
            f.write("\n## Commands\n\nRun by `scripts/gpu-run.sh` (commit " + c["commit"] + ", " + c["device"]
                    + "); raw results under `" + c["raw"] + "`.\n\n```\n" + "\n".join(bench) + "\n```\n")


def rebase_links(markdown_text, src_dir, dst_dir, moved):
    """Markdown with its relative links ](path) rewritten from src_dir to dst_dir; a link to a file of MOVED
    (source path -> copy) points to the copy."""
    def fix(m):
        target = m.group(1)
        if re.match(r"[a-z]+:|#|/", target):
            return m.group(0)
        path, hash_, frag = target.partition("#")
        linked = os.path.normpath(os.path.join(src_dir, path))
        new = os.path.relpath(moved.get(linked, linked), dst_dir) + ("/" if path.endswith("/") else "")
        return f"]({new}{hash_}{frag})"
    return re.sub(r"\]\(([^)\s]+)\)", fix, markdown_text)


def keep(docs, new_run):
    """Copies the current records into their own run's folder (see the usage)."""
    results = os.path.join(docs, "results")
    groups = [(os.path.join(results, "gpu-correctness.json"), [os.path.join(results, "gpu-correctness.md")]),
              (os.path.join(results, "benchmarks.json"), [os.path.join(docs, "benchmarks.md"),
                                                          os.path.join(docs, "benchmarks.png")])]
    for record, companions in groups:
        if not os.path.exists(record):
            continue
        with open(record, encoding="utf-8") as f:
            date = json.load(f).get("date", "")
        folder = os.path.join(results, f"gpu-run-{date}")
        if not date or not os.path.isdir(folder) or os.path.samefile(folder, new_run):
            continue
        moved = {os.path.normpath(src): os.path.join(folder, os.path.basename(src)) for src in [record] + companions}
        for src, dst in moved.items():
            if not os.path.exists(src) or os.path.exists(dst):
                continue
            if src.endswith(".md"):
                with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
                    g.write(rebase_links(f.read(), os.path.dirname(src), folder, moved))
            else:
                shutil.copyfile(src, dst)
            print(f"kept {os.path.basename(src)} in {folder}")


def main(argv):
    if len(argv) == 4 and argv[1] == "keep":
        keep(argv[2], argv[3])
        return
    if len(argv) != 5 or argv[1] not in ("correctness", "benchmarks"):
        sys.exit(__doc__)
    what, run, raw_link, docs = argv[1:]
    c = correctness(run, raw_link)
    if what == "benchmarks":
        annotate_benchmarks(docs, c)
        print(f"added the commands and the raw folder to {docs}/results/benchmarks.json and {docs}/benchmarks.md")
        return
    results = os.path.join(docs, "results")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "gpu-correctness.json"), "w", encoding="utf-8") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    raw_from_md = os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(docs)), raw_link), results)
    with open(os.path.join(results, "gpu-correctness.md"), "w", encoding="utf-8") as f:
        f.write(markdown(c, raw_from_md))
    print(f"wrote {results}/gpu-correctness.json and .md")


if __name__ == "__main__":
    main(sys.argv)
