#!/usr/bin/env bash
# Here, before a GPU host visit: everything scripts/gpu-run.sh needs there, and the one device call to make.
#   scripts/gpu-prepare.sh [--rehearse]
# 1. builds dist/convnet4j-bundle.tar.xz (scripts/make-bundle.sh; SKIP_BUNDLE=1 keeps the one there), which
#    records the commit it was built from in its BUILD file
# 2. places MNIST gzipped in gpu-carry/mnist/ (from data/mnist, fetched there with `convnet4j fetch-mnist`
#    when it is not there yet)
# 3. checks that what travels (the working tree, the carried dist/ and gpu-carry/) is under 64 MiB
# 4. with --rehearse: runs gpu-run.sh as a rehearsal (GPU_RUN_REHEARSAL=1: host fakes and the CPU, no GPU
#    tool) into target/gpu-rehearsal/, and records it with scripts/gpu-record.sh into
#    target/gpu-rehearsal/docs/ (the real docs/ stay untouched)
# 5. prints the device call: command, carry list and timeout
set -euo pipefail
cd "$(dirname "$0")/.."
rehearse=0
[ "${1:-}" = --rehearse ] && rehearse=1

if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "note: the working tree has uncommitted changes: the bundle's commit will read <sha>-dirty"
fi

# 1. The bundle.
if [ "${SKIP_BUNDLE:-0}" = 1 ] && [ -s dist/convnet4j-bundle.tar.xz ]; then
  echo "bundle: keeping dist/convnet4j-bundle.tar.xz ($(tar -xJOf dist/convnet4j-bundle.tar.xz convnet4j/BUILD \
      2>/dev/null | paste -sd' ' || echo 'no BUILD file'))"
else
  scripts/make-bundle.sh
fi

# 2. MNIST, gzipped (the loader reads .gz): about 11 MiB instead of 53.
names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
mkdir -p gpu-carry/mnist
for f in "${names[@]}"; do
  [ -s "gpu-carry/mnist/$f.gz" ] && continue
  if [ ! -s "data/mnist/$f" ] && [ ! -s "data/mnist/$f.gz" ]; then
    ./convnet4j fetch-mnist --data-dir data/mnist
  fi
  if [ -s "data/mnist/$f.gz" ]; then
    cp "data/mnist/$f.gz" gpu-carry/mnist/
  else
    gzip -9 -c "data/mnist/$f" > "gpu-carry/mnist/$f.gz"
  fi
done
echo "MNIST: $(du -sh gpu-carry/mnist | cut -f1) in gpu-carry/mnist"

# 3. What travels: the carried paths must be ignored by git (or they would travel twice), and all of it
#    must stay under the device's 64 MiB.
for p in dist gpu-carry; do
  git check-ignore -q "$p" || { echo "$p is not ignored by git: add /$p/ to .gitignore" >&2; exit 1; }
done
tree=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -n 1 | cut -f1)
carried=$(du -cb dist gpu-carry | tail -n 1 | cut -f1)
total=$((tree + carried))
echo "travels: working tree $((tree / 1024)) KiB + dist and gpu-carry $((carried / 1024)) KiB = $((total / 1024 / 1024)) MiB"
if [ "$total" -gt $((64 * 1024 * 1024)) ]; then
  echo "that is over the device's 64 MiB: trim dist/ or the working tree" >&2
  exit 1
fi

# 4. The rehearsal.
if [ "$rehearse" = 1 ]; then
  r=target/gpu-rehearsal
  rm -rf "$r"
  GPU_RUN_REHEARSAL=1 bash scripts/gpu-run.sh dist/convnet4j-bundle.tar.xz gpu-carry/mnist "$r" || true
  scripts/gpu-record.sh --docs "$r/docs" "$r/gpu-run.tgz"
  echo "rehearsal: $r/summary.txt, $r/gpu-run.tgz, recorded into $r/docs/"
fi

# 5. The call.
cat <<'TXT'

The device call (one run; see docs/gpu-host.md, "Next GPU session"):
  run(command="bash scripts/gpu-run.sh", carry=["dist", "gpu-carry"], timeout_s=570)
then, here: scripts/gpu-record.sh <the fetched gpu-run.tgz>, and give_back unless rerunning at once.
TXT
