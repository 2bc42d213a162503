#!/usr/bin/env bash
# Builds kernels/hosttest/kernel_tests.cpp with every kernels/*.cu (CPU emulation, AddressSanitizer and
# UBSan on) and runs it. Usage: bash kernels/hosttest/run.sh [build directory] [kernel_tests arguments...]
# Needs g++ with C++20 (std::barrier); no GPU, no CUDA toolkit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../target/kernel-hosttest}"
shift || true
mkdir -p "$build"
inc="$build/all_kernels.inc"
: > "$inc.new"
for f in "$here"/../*.cu; do
    echo "#include \"$(cd "$(dirname "$f")" && pwd)/$(basename "$f")\"" >> "$inc.new"
done
mv "$inc.new" "$inc"
exe="$build/kernel_tests"
newest=$(ls -t "$here"/../*.cu "$here"/../*.cuh "$here"/*.cpp "$here"/*.h "$here/run.sh" | head -1)
if [ ! -x "$exe" ] || [ "$newest" -nt "$exe" ]; then
    g++ -std=c++20 -O1 -g -pthread -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -Wall -Wno-unused-function -I "$here/.." -I "$build" -include "$here/cuda_host_shim.h" \
        "$here/kernel_tests.cpp" -o "$exe"
fi
exec "$exe" "$@"
