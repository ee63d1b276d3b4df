#!/usr/bin/env bash
# Fuzzes the ONNX reader and importer with libFuzzer (clang, ASan+UBSan), seeded with the ONNX
# models in ../shared/external when present. Not part of CI.
#
# Usage: scripts/fuzz-onnx.sh [SECONDS]   (default 600)
# Environment: BNNC_FUZZ_BUILD_DIR (default build-fuzz), BNNC_EXTERNAL_DATA (seed models).
# Findings (crash-*, timeout-*, oom-*) land in $BNNC_FUZZ_BUILD_DIR/findings; the corpus grows in
# $BNNC_FUZZ_BUILD_DIR/corpus. Exit code: libFuzzer's (0 when nothing was found).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
build=${BNNC_FUZZ_BUILD_DIR:-build-fuzz}
external=${BNNC_EXTERNAL_DATA:-../shared/external}

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBNNC_FUZZ=ON -DBNNC_SANITIZE=ON -DBNNC_TESTS=ON >/dev/null
cmake --build "$build" --target bnnc_onnx_fuzz -j2

mkdir -p "$build/corpus" "$build/findings"
if [[ -d $external/onnx ]]; then
  find "$external/onnx" -name '*.onnx' -size -300k -exec cp -n {} "$build/corpus/" \;
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
exec "$build/tests/bnnc_onnx_fuzz" "$build/corpus" -artifact_prefix="$build/findings/" \
  -max_total_time="$seconds" -max_len=400000 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
