#!/usr/bin/env bash
# GPU checks beyond the native tests, as run on the H100 on 2026-11-23 (results in docs/results/):
# the opt-in TF32 GEMM (its error-bound test, LeNet trained with it, whole-network steps and conv layer
# timings with it) and plots on a host without fonts. The racecheck it also ran then (commit 13b17e4) is now
# part of scripts/gpu-correctness.sh. Usage: scripts/gpu-checks.sh BUNDLE.tar.xz MNIST_DIR OUT.tgz
set -u
bundle=${1:?bundle}; mnist=$(readlink -f "${2:?mnist dir}"); result=${3:?out.tgz}
P=$(mktemp -d); W=$(mktemp -d)
tar -C "$W" -xJf "$bundle"
B=$W/convnet4j
source "$B/bin/env.sh"
CON=$(ls "$B"/lib/*console-standalone*.jar)
tf32="-Dconvnet4j.gemm.tf32=true"

echo "==== TF32 GEMM test"
timeout 60 "$JAVA" -Dconvnet4j.requireGpu=true -jar "$CON" execute --class-path "$CP" \
  --select-class org.convnet4j.nativetest.GemmProviderVersionsTest --disable-banner --details=summary \
  > "$P/tf32-test.txt" 2>&1
grep -E 'tf32|tests (successful|failed)' "$P/tf32-test.txt"

echo "==== plots on a host without fonts"
timeout 60 "$B/bin/convnet4j" train --device gpu --data-dir "$mnist" --limit-train 640 --epochs 1 \
  --out "$P/font-run" 2>&1 | grep -iE 'warning|accuracy'
ls "$P/font-run" | tr '\n' ' '; echo

echo "==== LeNet with TF32"
JAVA_OPTS=$tf32 timeout 100 "$B/bin/convnet4j" train --device gpu --data-dir "$mnist" --out "$P/lenet-tf32" \
  > "$P/lenet-tf32.txt" 2>&1
tail -3 "$P/lenet-tf32.txt"

echo "==== whole training steps with TF32"
for m in lenet5 alexnet-owt alexnet; do
  b=128; [ "$m" = lenet5 ] && b=64
  JAVA_OPTS=$tf32 timeout 60 "$B/bin/convnet4j" bench --model "$m" --batch "$b" --device gpu --iterations 20 \
    --warmup 5 --json "$P/ours-tf32-$m.json" > "$P/bench-tf32-$m.txt" 2>&1
  grep -E 'training step' "$P/bench-tf32-$m.txt"
done

echo "==== conv layers with TF32 (JMH, ours only)"
JAVA_OPTS=$tf32 timeout 120 "$B/bin/bench" org.convnet4j.bench.ConvolutionBenchmark -p impl=ours -f 0 -wi 2 -w 100ms \
  -i 5 -r 100ms -rf json -rff "$P/jmh-conv-tf32.json" > "$P/jmh-conv-tf32.txt" 2>&1
echo "jmh rc=$?"

tar czf "$result" -C "$P" --exclude='*.ckpt' .
