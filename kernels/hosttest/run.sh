#!/usr/bin/env bash
# Builds kernels/hosttest (main.cpp with every <family>_test.cpp and every kernels/*.cu, one translation unit;
# CPU emulation, AddressSanitizer and UBSan on) and runs it.
# Usage: bash kernels/hosttest/run.sh [build directory] [kernel_tests arguments: FAMILY..., --list, ...]
# Needs g++ with C++20 (std::barrier); no GPU, no CUDA toolkit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kernels="$(cd "$here/.." && pwd)"
build="${1:-$here/../../target/kernel-hosttest}"
shift || true
mkdir -p "$build"
# the generated includes: every kernel file, every family's tests (rewritten only when the lists change)
generate() { # out-file files...
    local out="$1"
    shift
    for f in "$@"; do
        echo "#include \"$f\""
    done > "$out.new"
    if cmp -s "$out.new" "$out"; then rm "$out.new"; else mv "$out.new" "$out"; fi
}
generate "$build/all_kernels.inc" "$kernels"/*.cu
generate "$build/all_tests.inc" "$here"/*_test.cpp
exe="$build/kernel_tests"
newest=$(ls -t "$kernels"/*.cu "$kernels"/*.cuh "$here"/*.cpp "$here"/*.h "$here/run.sh" "$build"/*.inc | head -1)
if [ ! -x "$exe" ] || [ "$newest" -nt "$exe" ]; then
    g++ -std=c++20 -O1 -g -pthread -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -Wall -Wno-unused-function -I "$kernels" -I "$build" -include "$here/cuda_host_shim.h" \
        "$here/main.cpp" -o "$exe"
fi
exec "$exe" "$@"
