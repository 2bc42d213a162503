#!/usr/bin/env bash
# Here, after a GPU host visit: records what scripts/gpu-run.sh brought back.
#   scripts/gpu-record.sh [--docs DIR] GPU_RUN_TARBALL
# 1. unpacks the tarball into DIR/results/gpu-run-<date>/ (the raw logs, JSON and CSV; the ncu report file
#    stays in the tarball: its CSV summary is kept); a different run of the same day gets gpu-run-<date>-2...
# 2. keeps the records it replaces: the current gpu-correctness.{json,md} and benchmarks.{json,md,png} are
#    copied into their own run's folder (gpu-run-<their date>/) when that folder lacks them
# 3. regenerates DIR/results/benchmarks.json, DIR/benchmarks.md and DIR/benchmarks.png with
#    `convnet4j report` (commit and date from the run), then adds the run's commands and raw folder to them
# 4. writes DIR/results/gpu-correctness.json and .md (scripts/gpu_record.py)
# DIR defaults to the repository's docs/; a rehearsal records into a scratch folder instead
# (scripts/gpu-prepare.sh --rehearse). CONVNET4J names the convnet4j launcher (default: ./convnet4j, which
# builds the jar when it is stale). Then: read the new files, commit them, and write each measured figure
# beside its prediction in docs/perf-notes.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
docs=$root/docs
if [ "${1:-}" = --docs ]; then
  docs=$(realpath -m "${2:?--docs needs a folder}")
  shift 2
fi
tarball=$(realpath "${1:?usage: scripts/gpu-record.sh [--docs DIR] GPU_RUN_TARBALL}")
launcher=${CONVNET4J:-$root/convnet4j}
base=$(dirname "$docs")   # paths in the records are relative to this (the repository root)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xzf "$tarball"
run=$tmp/gpu-run
[ -s "$run/meta.txt" ] || { echo "$tarball holds no gpu-run/meta.txt: not a scripts/gpu-run.sh tarball" >&2; exit 1; }
value() { sed -n "s/^$1=//p" "$run/meta.txt" | head -n 1; }
date=$(value date | cut -c1-10)
commit=$(value commit)

# 1. The raw files, in a folder of their own.
dest=$docs/results/gpu-run-$date
n=1
while [ -e "$dest" ] && ! cmp -s "$dest/meta.txt" "$run/meta.txt"; do
  n=$((n + 1))
  dest=$docs/results/gpu-run-$date-$n
done
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$run" --exclude='*.ncu-rep' -cf - . | tar -C "$dest" -xf -
raw=$(realpath --relative-to="$base" "$dest")/
echo "raw results: $raw"

# 2. The records this run replaces stay beside their own raw files.
python3 scripts/gpu_record.py keep "$docs" "$dest"

# 3. The benchmark report, from the eager runs (ours-graph-* are kept raw: the report has no column for them).
args=()
for m in lenet5 alexnet-owt alexnet; do
  [ -s "$dest/bench/ours-$m.json" ] && args+=(--ours "$dest/bench/ours-$m.json")
done
jmh=()
for f in "$dest"/bench/jmh-*.json; do
  [ -s "$f" ] && jmh+=("$f")
done
[ ${#jmh[@]} -gt 0 ] && args+=(--jmh "${jmh[@]}")
[ -s "$dest/bench/torch.json" ] && args+=(--torch "$dest/bench/torch.json")
if [ ${#args[@]} -eq 0 ]; then
  echo "no benchmark results in this run: benchmarks.md and results/benchmarks.json left as they were"
else
  "$launcher" report "${args[@]}" --commit "$commit" --date "$date" --out "$docs/benchmarks.md" \
      --json "$docs/results/benchmarks.json" --chart "$docs/benchmarks.png"
  python3 scripts/gpu_record.py benchmarks "$run" "$raw" "$docs"
fi

# 4. The correctness record.
python3 scripts/gpu_record.py correctness "$run" "$raw" "$docs"
grep -E '^\| ' "$docs/results/gpu-correctness.md" | sed -n '3,$p' | cut -c1-160
