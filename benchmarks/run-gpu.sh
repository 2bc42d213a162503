#!/usr/bin/env bash
# Runs every benchmark on a GPU host and writes the report, inside a time budget (default 560 s, so
# that it fits a 10-minute remote command). Usage, from the repository root:
#   benchmarks/run-gpu.sh BUNDLE.tar.xz OUTDIR        (env: BUDGET=seconds, COMMIT=sha, JMH_ARGS=...)
# Steps, most important first, each with its own time limit (cut further when the budget runs low):
#   1. bin/convnet4j info                                   ~5 s
#   2. bin/convnet4j bench for lenet5, alexnet-owt, alexnet ~10 s each      -> OUTDIR/ours-*.json
#   3. JMH MemoryBenchmark: device-to-device copy, 1 trial  ~5 s            -> OUTDIR/jmh-memory.json
#   4. JMH ConvolutionBenchmark, ours (per algorithm) vs cuDNN, every layer and pass ~100 s -> OUTDIR/jmh-conv.json
#   5. bench_torch.py (fp32, then TF32)                      ~60-120 s       -> OUTDIR/torch.json
#   6. JMH the other families: pooling, activation, softmax  ~70 s           -> OUTDIR/jmh-kernels.json
#      loss, dense (SGEMM), dropout, normalization, optimizers, 70 trials
#   7. bin/convnet4j report                                  ~5 s            -> OUTDIR/docs/...
# A step that fails or runs out of time is logged and the next one runs; the report says what is missing.
set -uo pipefail
bundle=${1:?usage: benchmarks/run-gpu.sh BUNDLE.tar.xz OUTDIR}
out=${2:?usage: benchmarks/run-gpu.sh BUNDLE.tar.xz OUTDIR}
budget=${BUDGET:-560}
commit=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
jmh_args=${JMH_ARGS:--f 0 -wi 2 -w 100ms -i 5 -r 100ms}
deadline=$((SECONDS + budget))
mkdir -p "$out/logs"
work=$(mktemp -d)
tar -C "$work" -xJf "$bundle"
B=$work/convnet4j

# step NAME LIMIT COMMAND...: runs COMMAND with at most LIMIT seconds (less when the budget is short,
# keeping 20 s for the report), logs to OUTDIR/logs/NAME.log, and prints one line with the outcome.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((deadline - SECONDS - 20))
  if [ "$left" -lt "$limit" ]; then limit=$left; fi
  if [ "$limit" -le 5 ]; then
    echo "== $name: skipped, the time budget is spent"
    return
  fi
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/logs/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0)) s (limit $limit s)"
  if [ "$rc" -ne 0 ]; then tail -5 "$out/logs/$name.log"; fi
}

step info 30 "$B/bin/convnet4j" info
for m in lenet5 alexnet-owt alexnet; do
  step "bench-$m" 60 "$B/bin/convnet4j" bench --model "$m" --device gpu --iterations 20 --warmup 5 \
      --json "$out/ours-$m.json"
done
# shellcheck disable=SC2086
step jmh-memory 30 "$B/bin/bench" 'org.convnet4j.bench.MemoryBenchmark' $jmh_args -rf json -rff "$out/jmh-memory.json"
# shellcheck disable=SC2086
step jmh-conv 200 "$B/bin/bench" 'org.convnet4j.bench.ConvolutionBenchmark' $jmh_args -rf json \
    -rff "$out/jmh-conv.json"
step torch 150 python3 benchmarks/pytorch/bench_torch.py --out "$out/torch.json"
# shellcheck disable=SC2086
step jmh-kernels 130 "$B/bin/bench" \
    'org.convnet4j.bench.(Pooling|Activation|SoftmaxLoss|Dense|Dropout|Normalization|Optimizers)Benchmark' $jmh_args \
    -rf json -rff "$out/jmh-kernels.json"

args=()
for f in "$out"/ours-*.json; do [ -s "$f" ] && args+=(--ours "$f"); done
jmh=()
for f in "$out"/jmh-memory.json "$out"/jmh-conv.json "$out"/jmh-kernels.json; do [ -s "$f" ] && jmh+=("$f"); done
[ ${#jmh[@]} -gt 0 ] && args+=(--jmh "${jmh[@]}")
[ -s "$out/torch.json" ] && args+=(--torch "$out/torch.json")
deadline=$((deadline + 20))
step report 20 "$B/bin/convnet4j" report "${args[@]}" --commit "$commit" \
    --out "$out/docs/benchmarks.md" --json "$out/docs/results/benchmarks.json" --chart "$out/docs/benchmarks.png"
# What the JMH trials said about themselves: the device, cuDNN's chosen algorithms, skips and their reasons.
grep -ho '# \(convnet4j\|cuDNN\|skipped\|ours\) .*' "$out"/logs/jmh-*.log 2>/dev/null > "$out/logs/jmh-notes.txt"
sed 's/{[^}]*}//' "$out/logs/jmh-notes.txt" | sort | uniq -c | sort -rn | head -12
rm -rf "$work"
echo "total $SECONDS s; results in $out"
