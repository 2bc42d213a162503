#!/usr/bin/env bash
# The correctness run on a GPU host, one remote command of under 10 minutes: the native tests (every
# CUDA op against the CPU backend, LeNet CPU vs GPU, AlexNet memorizing one batch of 128), compute-
# sanitizer racecheck over the tests of the kernels with shared-memory reductions, memcheck over a short
# training, and LeNet-5 trained on MNIST with the defaults.
# Usage: scripts/gpu-correctness.sh BUNDLE.tar.xz MNIST_DIR OUT.tgz
# Each step has its own time limit; one that fails is reported and the next one runs. The exit status
# is that of the native tests.
set -u
bundle=${1:?usage: scripts/gpu-correctness.sh BUNDLE.tar.xz MNIST_DIR OUT.tgz}
mnist=$(readlink -f "${2:?mnist dir}")
result=${3:?out.tgz}
P=$(mktemp -d)
W=$(mktemp -d)
tar -C "$W" -xJf "$bundle"
B=$W/convnet4j
source "$B/bin/env.sh"
CON=$(ls "$B"/lib/*console-standalone*.jar)

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$P/device.txt"
"$B/bin/convnet4j" info > "$P/info.txt" 2>&1

echo "==== native tests"
JAVA_OPTS=-Dconvnet4j.requireGpu=true timeout 300 "$B/bin/native-tests" \
  > "$P/native-tests.txt" 2>&1
native_rc=$?
grep -E 'tests (successful|failed|skipped)|AlexNet overfit: step|Test run finished' "$P/native-tests.txt" | tail -8
grep -E '✘|FAILED' "$P/native-tests.txt" | head -20

echo "==== racecheck: softmax, pooling and the other kernels with shared-memory reductions"
(cd /tmp && timeout 200 compute-sanitizer --tool racecheck --print-limit 20 "$JAVA" -Dconvnet4j.requireGpu=true \
  -jar "$CON" execute --class-path "$CP" --select-class org.convnet4j.nativetest.SoftmaxLossOpsTest \
  --select-class org.convnet4j.nativetest.PoolingOpsTest --select-class org.convnet4j.nativetest.DenseOpsTest \
  --disable-banner --details=summary > "$P/racecheck.txt" 2>&1; echo "racecheck exit $?")
grep -E 'RACECHECK SUMMARY|ERROR SUMMARY|Race|tests (successful|failed)' "$P/racecheck.txt" | sort | uniq -c | head

echo "==== memcheck: a short training"
(cd /tmp && timeout 120 compute-sanitizer --tool memcheck --print-limit 20 "$JAVA" -cp "$CP" \
  org.convnet4j.cli.Main train --device gpu --data-dir "$mnist" --limit-train 640 --epochs 1 \
  --out "$P/memcheck-run" > "$P/memcheck.txt" 2>&1; echo "memcheck exit $?")
grep -E 'ERROR SUMMARY|accuracy' "$P/memcheck.txt" | tail -3

echo "==== LeNet-5 on MNIST, defaults"
timeout 120 "$B/bin/convnet4j" train --device gpu --data-dir "$mnist" --out "$P/lenet" > "$P/train.txt" 2>&1
echo "train exit $?"
tail -3 "$P/train.txt"

tar czf "$result" -C "$P" --exclude='*.ckpt' .
echo "results in $result"
exit "$native_rc"
