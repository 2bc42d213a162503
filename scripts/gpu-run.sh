#!/usr/bin/env bash
# Everything a GPU host visit checks and measures, in ONE command of at most GPU_RUN_BUDGET seconds (default
# 480: 8 minutes, well inside the device call's 10). From the repository root on the host:
#   bash scripts/gpu-run.sh [BUNDLE [MNIST_DIR [OUT_DIR]]]
# (defaults: dist/convnet4j-bundle.tar.xz, gpu-carry/mnist, $OUT or target/gpu-run-out; scripts/gpu-prepare.sh
# builds the first two and prints the device call). Phases, most valuable evidence first, each with its own
# time budget; a step that finds its budget spent is skipped with one line, a failing step does not stop
# the next:
#   env          date, commit (from the bundle's BUILD file), nvidia-smi, convnet4j info, tool versions
#   native       every native test (AlexNet's overfit check included) with -Dconvnet4j.requireGpu=true, NCCL
#                with one rank among them (NcclOpsTest: the host's libnccl.so.2 from its Python packages;
#                DataParallelNcclTest: one replica through NCCL = the plain step, bit for bit)
#   lenet        LeNet-5 on MNIST with the defaults; again with --cuda-graph on where train has that flag
#   determinism  a short LeNet training twice with one seed (and twice as a graph): identical columns?
#   bench        convnet4j bench (LeNet, AlexNet-OWT; eager and graph), JMH convolutions of AlexNet-OWT and
#                AlexNet (every impl/algorithm, cuDNN's best), PyTorch (TF32 off; eager and CUDA graph),
#                JMH pooling/ReLU/softmax, the device-to-device copy, AlexNet's step
#   ncu          ncu --clock-control none over one AlexNet-OWT training step, summarized
#   sanitizers   compute-sanitizer memcheck over a short training, racecheck over the shared-memory kernels' tests
# Results: OUT_DIR/gpu-run.tgz (every log, command and result; scripts/gpu-record.sh turns it into
# docs/results/) and OUT_DIR/summary.txt (one line per step, written as the run goes, so it comes back even
# if the run is cut short). The exit status is the native tests'.
#
# Environment: GPU_RUN_BUDGET (seconds), GPU_RUN_ONLY / GPU_RUN_SKIP (phase names, or step names for SKIP:
# see scripts/gpu-run-lib.sh), GPU_RUN_COMMIT (when the bundle has no BUILD file), and GPU_RUN_REHEARSAL=1:
# a rehearsal on a machine without a GPU: the native tests run on the host fakes
# (-Dconvnet4j.nativetest.dryRun=fake), training and benchmarks on the CPU at tiny sizes (LeNet-5 stands in
# for AlexNet-OWT under ncu), nvidia-smi and PyTorch count as absent, and ncu and compute-sanitizer are
# stand-ins that run the program they are given without a GPU tool; so every step's command line, the
# tarball and the recording script are exercised before the first real run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2   # the repository root: the host fakes of a rehearsal read kernels/
root=$PWD
source scripts/gpu-run-lib.sh

bundle=${1:-dist/convnet4j-bundle.tar.xz}
mnist=$(realpath -m "${2:-gpu-carry/mnist}")
out=$(realpath -m "${3:-${OUT:-target/gpu-run-out}}")
mkdir -p "$out" || exit 2
rehearsal=${GPU_RUN_REHEARSAL:-0}
budget=${GPU_RUN_BUDGET:-480}
run_begin "$budget"

work=$(mktemp -d /tmp/gpu-run.XXXXXX)
P=$work/gpu-run                      # becomes the tarball's one folder
LOGS=$P/logs
SUMMARY=$out/summary.txt
COMMANDS=$P/commands.txt
mkdir -p "$LOGS" "$P/bench" "$P/ncu"
: > "$SUMMARY"
exec > >(tee -a "$P/run.log") 2>&1

if [ ! -s "$bundle" ]; then
  note "no bundle at $bundle: build it with scripts/gpu-prepare.sh (or scripts/make-bundle.sh) and carry dist"
  exit 2
fi
tar -C "$work" -xJf "$bundle" || { note "cannot unpack $bundle"; exit 2; }
B=$work/convnet4j
unset JAVA_OPTS
source "$B/bin/env.sh"               # JAVA, CP, JAVA_OPTS (headless), the font fallbacks
read -ra JOPTS <<< "$JAVA_OPTS"
CON=$(ls "$B"/lib/junit-platform-console-standalone-*.jar)
TESTJAR=$(ls "$B"/lib/convnet4j-*-tests.jar)

if [ "$rehearsal" = 1 ]; then
  mode="rehearsal (no GPU: native tests on host fakes, training and benchmarks on the CPU, stand-ins for ncu and compute-sanitizer)"
  dev=cpu
  native_opts="-Dconvnet4j.requireGpu=true -Dconvnet4j.nativetest.dryRun=fake"
  # Stand-ins for ncu and compute-sanitizer: they skip their own options and run the program (the first
  # argument that is an executable file's absolute path), so that its command line is tried; `ncu --import`
  # has none and fails.
  mkdir -p "$work/stand-ins"
  for t in ncu compute-sanitizer; do
    cat > "$work/stand-ins/$t" <<'SH'
#!/usr/bin/env bash
while [ $# -gt 0 ] && ! { [ "${1#/}" != "$1" ] && [ -f "$1" ] && [ -x "$1" ]; }; do shift; done
[ $# -gt 0 ] && exec "$@"
echo "rehearsal stand-in: no program to run" >&2
exit 1
SH
    chmod +x "$work/stand-ins/$t"
  done
  PATH=$work/stand-ins:$PATH
else
  mode=gpu
  dev=gpu
  native_opts="-Dconvnet4j.requireGpu=true"
  PATH=$PATH:/usr/local/cuda/bin
fi
read -ra native_words <<< "$native_opts"
# have TOOL: whether TOOL can run here (in a rehearsal: only the stand-ins; it must not touch a GPU tool).
have() {
  if [ "$rehearsal" = 1 ]; then
    [ -x "$work/stand-ins/$1" ]
  else
    command -v "$1" > /dev/null
  fi
}
# absent TOOL WHAT: one line saying that WHAT is skipped for want of TOOL.
absent() {
  if [ "$rehearsal" = 1 ]; then
    note "== $2: skipped, $1 counts as absent in a rehearsal"
  else
    note "== $2: skipped, $1 is not on this host"
  fi
}
# field KEY FILE: a number or string field of a small JSON file (summary.json), without a JSON parser.
field() {
  sed -n "s/^ *\"$1\" *: *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$2" | head -n 1
}
# has_option SUBCOMMAND OPTION: whether `convnet4j SUBCOMMAND --help` lists OPTION.
has_option() {
  timeout 30 "$B/bin/convnet4j" "$1" --help 2>&1 | grep -q -- "$2"
}
# count PATTERN FILE: how many lines of FILE match PATTERN (0 when FILE is missing).
count() {
  local n
  n=$(grep -c -- "$1" "$2" 2> /dev/null)
  echo "${n:-0}"
}

commit=${GPU_RUN_COMMIT:-$(sed -n 's/^commit=//p' "$B/BUILD" 2>/dev/null)}
commit=${commit:-unknown (the bundle has no BUILD file; set GPU_RUN_COMMIT)}
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$commit"
  sed -n 's/^\(built\|branch\)=/bundle_&/p' "$B/BUILD" 2>/dev/null
  echo "mode=$mode"
  echo "budget_s=$budget"
  echo "host=$(uname -srm), $(nproc) cores"
} > "$P/meta.txt"
note "gpu-run: commit $commit, $(date -u +%Y-%m-%dT%H:%M:%SZ), mode $mode, budget $budget s"
ls "$mnist"/train-images-idx3-ubyte* > /dev/null 2>&1 || note "no MNIST in $mnist: the LeNet steps will fail"

# ---------------------------------------------------------------------------------------------- env
if phase env 30; then
  if have nvidia-smi; then
    step nvidia-smi 10 nvidia-smi
    step device 10 nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.sm,clocks.max.sm,power.limit,temperature.gpu --format=csv
    gpu_line=$(sed -n 2p "$LOGS/device.log")
    cuda=$(grep -o 'CUDA Version: [0-9.]*' "$LOGS/nvidia-smi.log" | head -n 1 | sed 's/.*: //')
    echo "device=$(echo "$gpu_line" | cut -d, -f1 | xargs)" >> "$P/meta.txt"
    echo "driver=$(echo "$gpu_line" | cut -d, -f2 | xargs) (CUDA ${cuda:-?})" >> "$P/meta.txt"
    note "device: $gpu_line; CUDA $cuda"
  else
    absent nvidia-smi "device query"
    echo "device=none ($([ "$rehearsal" = 1 ] && echo "a rehearsal" || echo "no nvidia-smi"))" >> "$P/meta.txt"
    echo "driver=none" >> "$P/meta.txt"
  fi
  step info 20 "$B/bin/convnet4j" info
  grep '^nccl: ' "$LOGS/info.log" | cut -c1-300 | while read -r l; do note "  $l"; done
  if [ "$rehearsal" = 1 ]; then
    note "== tools: skipped, a rehearsal asks no GPU tool for its version"
  else
    step tools 20 bash -c 'for t in ncu compute-sanitizer nvcc; do command -v $t > /dev/null && echo "$t: $($t --version | tail -n 1)" || echo "$t: absent"; done
        python3 -c "import torch; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"cudnn\", torch.backends.cudnn.version())" 2>&1 | tail -n 1
        python3 -c "import nvidia.nccl as n; print(\"python nvidia.nccl:\", list(n.__path__)[0])" 2>&1 | tail -n 1'
    cat "$LOGS/tools.log"
  fi
fi

# ------------------------------------------------------------------------------------------- native
native_rc=0
if phase native 150; then
  step native-tests 140 env JAVA_OPTS="$native_opts" "$B/bin/native-tests" --disable-ansi-colors \
      --reports-dir="$P/native-reports"
  native_rc=$?
  counts=$(grep -E '^\[ *[0-9]+ tests (found|successful|failed|aborted|skipped) *\]' "$LOGS/native-tests.log" \
      | sed -E 's/^\[ *([0-9]+) tests ([a-z]+) *\]/\1 \2/' | paste -sd, | sed 's/,/, /g')
  note "native tests: ${counts:-no JUnit summary (see logs/native-tests.log)}"
  grep -E 'AlexNet overfit: step' "$LOGS/native-tests.log" | tail -n 1 | while read -r l; do note "  $l"; done
  grep -E '^NCCL: |NcclOpsTest|DataParallel' "$LOGS/native-tests.log" | head -n 6 | while read -r l; do note "  $l"; done
  grep -E '✘' "$LOGS/native-tests.log" | head -n 15 | while read -r l; do note "  FAILED: $l"; done
fi

# -------------------------------------------------------------------------------------------- lenet
if [ "$rehearsal" = 1 ]; then
  lenet_args=(--device cpu --limit-train 640 --epochs 1)
  det_args=(--device cpu --limit-train 320 --epochs 2)
else
  lenet_args=(--device gpu)
  det_args=(--device gpu --limit-train 6400 --epochs 2)
fi
graph_train=0
has_option train --cuda-graph && graph_train=1
# lenet NAME LIMIT ARGS...: trains LeNet-5 on MNIST into $P/NAME and notes its test accuracy.
lenet() {
  local name=$1 limit=$2
  shift 2
  step "$name" "$limit" "$B/bin/convnet4j" train --data-dir "$mnist" --out "$P/$name" "$@"
  local s=$P/$name/summary.json
  if [ -s "$s" ]; then
    note "  $name: test accuracy $(field test_accuracy "$s") (best $(field best_test_accuracy "$s")) after \
$(field epochs "$s") epoch(s), $(printf '%.1f s, %.0f images/s' "$(field seconds "$s")" "$(field images_per_second "$s")")"
  fi
}
if phase lenet 80; then
  lenet lenet 45 "${lenet_args[@]}"
  if [ "$graph_train" = 1 ]; then
    lenet lenet-graph 45 "${lenet_args[@]}" --cuda-graph on
  else
    note "== lenet-graph: skipped, convnet4j train has no --cuda-graph option in this build"
  fi
fi

# -------------------------------------------------------------------------------------- determinism
if phase determinism 70; then
  variants=(eager)
  [ "$graph_train" = 1 ] && variants+=(graph)
  for v in "${variants[@]}"; do
    extra=()
    [ "$v" = graph ] && extra=(--cuda-graph on)
    for run in a b; do
      step "det-$v-$run" 30 "$B/bin/convnet4j" train --data-dir "$mnist" --seed 7 "${det_args[@]}" "${extra[@]}" \
          --out "$P/det/$v-$run"
    done
    note "determinism, $v: $(same_training "$P/det/$v-a/metrics.csv" "$P/det/$v-b/metrics.csv")"
  done
  [ "$graph_train" = 1 ] && note "determinism, eager vs graph (for information): $(same_training \
      "$P/det/eager-a/metrics.csv" "$P/det/graph-a/metrics.csv")"
fi

# -------------------------------------------------------------------------------------------- bench
if [ "$rehearsal" = 1 ]; then
  bench_args=(--device cpu --batch 2 --iterations 2 --warmup 1 --copy-mib 4)
  jmh_args=(-f 0 -wi 0 -i 1 -r 50ms -p tiny=true)
else
  bench_args=(--device gpu --iterations 20 --warmup 5)
  jmh_args=(-f 0 -wi 1 -w 100ms -i 4 -r 100ms)
fi
# bench_net NAME MODEL LIMIT ARGS...: convnet4j bench of one network into $P/bench/ours-NAME.json.
bench_net() {
  local name=$1 model=$2 limit=$3
  shift 3
  step "bench-$name" "$limit" "$B/bin/convnet4j" bench --model "$model" "${bench_args[@]}" "$@" \
      --json "$P/bench/ours-$name.json"
  grep -E 'training step|device-to-device copy' "$LOGS/bench-$name.log" | head -n 2 | while read -r l; do note "  $l"; done
}
# JMH's lock in /tmp keeps two JMH runs from timing each other; a rehearsal may share its machine with
# other people's runs, the GPU host runs nothing else.
jmh_opts=""
[ "$rehearsal" = 1 ] && jmh_opts=-Djmh.ignoreLock=true
# jmh NAME LIMIT REGEX ARGS...: JMH benchmarks matching REGEX into $P/bench/jmh-NAME.json.
jmh() {
  local name=$1 limit=$2 regex=$3
  shift 3
  step "jmh-$name" "$limit" env JAVA_OPTS="$jmh_opts" "$B/bin/bench" "$regex" "${jmh_args[@]}" "$@" \
      -rf json -rff "$P/bench/jmh-$name.json"
  note "  jmh-$name: $(count '"benchmark"' "$P/bench/jmh-$name.json") results, $(count '# skipped' \
      "$LOGS/jmh-$name.log") trials skipped"
}
# jmh_class FAMILY OLD: the JMH class org.convnet4j.bench.<FAMILY>Benchmark if this build has it, else OLD
# (the name before the <Family>Benchmark renaming), else nothing.
jmh_class() {
  local c
  for c in "$1Benchmark" "${2:-}"; do
    [ -n "$c" ] && grep -q "^org\.convnet4j\.bench\.$c\." "$LOGS/jmh-list.log" && { echo "$c"; return; }
  done
}
# jmh_param CLASS PARAM: the values (comma-separated) JMH lists for CLASS's parameter PARAM.
jmh_param() {
  awk -v cls="org.convnet4j.bench.$1." -v p="\"$2\"" '
    /^org\./ { in_class = index($0, cls) == 1 }
    in_class && $1 == "param" && $2 == p { sub(/.*= *\{/, ""); sub(/\}.*/, ""); gsub(/ /, ""); print; exit }' "$LOGS/jmh-list.log"
}
if phase bench 260; then
  graph_bench=0
  has_option bench --cuda-graph && graph_bench=1
  bench_net lenet5 lenet5 40
  bench_net alexnet-owt alexnet-owt 40
  if [ "$graph_bench" = 1 ]; then
    bench_net graph-lenet5 lenet5 40 --cuda-graph on
    bench_net graph-alexnet-owt alexnet-owt 40 --cuda-graph on
  else
    note "== bench-graph: skipped, convnet4j bench has no --cuda-graph option in this build"
  fi
  step jmh-list 20 "$B/bin/bench" -lp
  conv=$(jmh_class Convolution ConvBenchmark)
  if [ -z "$conv" ]; then
    note "== jmh-conv: skipped, no ConvolutionBenchmark (or ConvBenchmark) in this build"
  else
    algo=$(jmh_param "$conv" algo)
    algo=${algo:-$(jmh_param "$conv" algorithm)}
    note "  $conv: impl {$(jmh_param "$conv" impl)}, algo {${algo:-no such parameter: one algorithm}} (every value runs)"
    if echo "$algo" | tr , '\n' | grep -qx fft; then
      # the FFT convolution on the layers it was made for first (issue 13), timed beside cuDNN's below
      jmh "conv-fft" 25 "org\.convnet4j\.bench\.$conv\." -p layer=alexnet/conv2,alexnet-owt/conv2 -p impl=ours \
        -p algo=fft
    fi
    for net in alexnet-owt alexnet; do
      layers=$(jmh_param "$conv" layer | tr , '\n' | grep "^$net/" | paste -sd,)
      if [ -n "$layers" ] && [ -n "$algo" ]; then
        # Ours per algorithm, then cuDNN's best once (its trials ignore algo): about 60 trials of
        # jmh_args' short iterations per network.
        ours_algos=$(echo "$algo" | tr , '\n' | grep -v -e '^auto$' -e '^fft$' | paste -sd,)
        jmh "conv-$net" 75 "org\.convnet4j\.bench\.$conv\." -p layer="$layers" -p impl=ours \
          -p algo="$ours_algos"
        jmh "conv-$net-cudnn" 35 "org\.convnet4j\.bench\.$conv\." -p layer="$layers" -p impl=cudnn -p algo=auto
      elif [ -n "$layers" ]; then
        jmh "conv-$net" 90 "org\.convnet4j\.bench\.$conv\." -p layer="$layers"
      else
        note "== jmh-conv-$net: skipped, $conv has no $net/ values of a parameter named layer"
      fi
    done
  fi
  torch_args=(--no-tf32 --graph)
  [ "$rehearsal" = 1 ] && torch_args+=(--iters 2)
  if [ "$rehearsal" = 1 ] && python3 -c 'import torch' 2> /dev/null; then
    absent PyTorch torch   # a rehearsal must not reach a GPU through PyTorch either
  else
    step torch 90 env PYTHONUNBUFFERED=1 python3 benchmarks/pytorch/bench_torch.py "${torch_args[@]}" --out "$P/bench/torch.json"
    grep -o '"reason": "[^"]*"' "$P/bench/torch.json" 2> /dev/null | while read -r l; do note "  torch: $l"; done
  fi
  kernels=""
  for k in Pooling "Activation ReluBenchmark" SoftmaxLoss; do
    read -r family old <<< "$k"
    c=$(jmh_class "$family" "$old")
    [ -n "$c" ] && kernels="$kernels${kernels:+|}$c"
  done
  if [ -n "$kernels" ]; then
    jmh kernels 60 "org\.convnet4j\.bench\.($kernels)\."
  else
    note "== jmh-kernels: skipped, no pooling, activation or softmax benchmark in this build"
  fi
  memory=$(jmh_class Memory)
  if [ -n "$memory" ]; then
    jmh memory 30 "org\.convnet4j\.bench\.$memory\."
  else
    note "== jmh-memory: skipped, no MemoryBenchmark in this build (the copy bandwidth is convnet4j bench's d2d_copy)"
  fi
  bench_net alexnet alexnet 40
  bench_net resnet18 resnet18 40   # a network with branches (issue 17); bench_torch.py times torchvision's
  # The image-folder loader (issue 16): decode + augment images/s per thread count on generated JPEGs at
  # 256x256 and 500x375; the host's 16 cores must out-run the training step (docs/data.md).
  if [ "$rehearsal" = 1 ]; then loader_args=(--threads 1,2 --images 32 --min-images 64 --batch 16); else
    loader_args=(--threads 1,4,8,16 --images 256 --min-images 1024); fi
  step bench-loader 45 "$B/bin/convnet4j" bench-loader "${loader_args[@]}"
fi

# ---------------------------------------------------------------------------------------------- ncu
# One AlexNet-OWT training step: `train` on synthetic data with one batch of 128 launches the step's
# kernels first (the weights are initialized on the host), then evaluates; ncu profiles the first
# NCU_LAUNCHES launches (a step is about 220: im2col chunks, GEMMs, the K slices of the filter gradients,
# 16 updates) and ncu_summary.py marks the step as ending at its last optimizer update.
ncu_metrics=gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,\
sm__sass_thread_inst_executed_op_ffma_pred_on.sum,sm__sass_thread_inst_executed_op_fadd_pred_on.sum,\
sm__sass_thread_inst_executed_op_fmul_pred_on.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,\
gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed,launch__registers_per_thread,\
launch__shared_mem_per_block_dynamic,launch__shared_mem_per_block_static
ncu_net=(--model alexnet-owt --limit-train 128 --batch 128)
[ "$rehearsal" = 1 ] && ncu_net=(--model lenet5 --limit-train 2 --batch 2)
if phase ncu 130; then
  if have ncu; then
    step ncu-owt-step 100 ncu --clock-control none --launch-count "${NCU_LAUNCHES:-300}" --metrics "$ncu_metrics" \
        -f -o "$P/ncu/owt-step" "$JAVA" "${JOPTS[@]}" -cp "$CP" org.convnet4j.cli.Main train "${ncu_net[@]}" \
        --dataset synthetic --epochs 1 --optimizer momentum --lr 0.01 --device "$dev" --out "$P/ncu/run"
    step ncu-csv 20 bash -c 'ncu --import "$1" --csv --page raw --print-units base --print-kernel-base demangled > "$2"' \
        _ "$P/ncu/owt-step.ncu-rep" "$P/ncu/raw.csv"
    if [ -s "$P/ncu/raw.csv" ]; then
      step ncu-summary 15 python3 scripts/ncu_summary.py "$P/ncu/raw.csv" kernels "$P/ncu"
    else
      note "== ncu-summary: skipped, no ncu CSV"
    fi
    grep -E '^(step|split-K|cuBLAS|top)' "$P/ncu/summary.txt" 2> /dev/null | head -n 12 | while read -r l; do note "  $l"; done
  else
    absent ncu "ncu over one AlexNet-OWT step"
  fi
fi

# ------------------------------------------------------------------------------------- sanitizers
# Racecheck: the native tests of the kernels that use shared memory (softmax, bias gradient, batch norm,
# the GEMM kernel, the convolutions' own kernels), by their <Family>OpsTest names and the older ones.
race_classes='.*\.(SoftmaxLoss|Dense|Normalization|Convolution)OpsTest|.*\.GemmProviderVersionsTest'
if phase sanitizers 150; then
  if have compute-sanitizer; then
    # LeNet-5 on synthetic data: 10 training steps and 16 evaluation batches (MNIST's would be 157).
    step memcheck 70 compute-sanitizer --tool memcheck --error-exitcode 3 --print-limit 20 "$JAVA" "${JOPTS[@]}" -cp "$CP" \
        org.convnet4j.cli.Main train --device "$dev" --dataset synthetic --limit-train 640 --epochs 1 --out "$P/memcheck-run"
    mem=$(grep -h 'ERROR SUMMARY' "$LOGS/memcheck.log" | tail -n 1)
    note "  memcheck: ${mem:-no ERROR SUMMARY line}"
    step racecheck 80 compute-sanitizer --tool racecheck --error-exitcode 3 --print-limit 20 "$JAVA" "${JOPTS[@]}" "${native_words[@]}" \
        -jar "$CON" execute --class-path "$CP" --scan-class-path "$TESTJAR" --include-tag gpu \
        --include-classname "$race_classes" --details=summary --disable-banner --disable-ansi-colors
    race=$(grep -h 'RACECHECK SUMMARY' "$LOGS/racecheck.log" | tail -n 1)
    note "  racecheck: ${race:-no RACECHECK SUMMARY line}; $(grep -ohE '[0-9]+ tests (successful|failed)' \
        "$LOGS/racecheck.log" | paste -sd, | sed 's/,/, /g')"
  else
    absent compute-sanitizer "memcheck and racecheck"
  fi
fi

# --------------------------------------------------------------------------------------------- pack
have nvidia-smi && nvidia-smi --query-gpu=clocks.sm,temperature.gpu,power.draw,memory.used --format=csv \
    > "$LOGS/device-after.log" 2>&1
note "gpu-run: done after $SECONDS s of $budget"
cp "$SUMMARY" "$P/summary.txt"
# The commands as they read anywhere: B is the unpacked bundle, R the results folder (the tarball's gpu-run/).
sed -i -e "1i # B: the unpacked bundle (convnet4j/), R: the results (the tarball's gpu-run/), paths relative to the repository root" \
    -e "s#$B#\$B#g; s#$P#\$R#g; s#$root/##g" "$COMMANDS"
sync
tarball=$out/gpu-run.tgz
tar czf "$tarball" -C "$work" --exclude='*.ckpt' gpu-run
if [ "$(stat -c %s "$tarball")" -gt $((15 * 1024 * 1024)) ]; then   # the device hands back files under 16 MiB
  tar czf "$tarball" -C "$work" --exclude='*.ckpt' --exclude='*.ncu-rep' gpu-run
  echo "(the ncu report was left out of the tarball: too large; its CSV summary is in)" | tee -a "$SUMMARY"
fi
echo "results: $tarball ($(($(stat -c %s "$tarball") / 1024)) KiB), $SUMMARY"
rm -rf "$work"
exit "$native_rc"
