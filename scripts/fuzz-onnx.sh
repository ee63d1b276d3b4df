#!/usr/bin/env bash
# Fuzzes the ONNX reader and importer with libFuzzer (clang, ASan+UBSan), seeded with the ONNX
# models in ../shared/external when present, tests/fuzz/seeds, and the PyTorch interop test's
# networks (tests/interop/pytorch_bnns.py: Linear, convs with and without zero padding, Pads of
# -1/+1) and bnnc's QONNX exports of them when /usr/bin/python3 has torch and bnnc is built.
# Not part of CI.
#
# Needs clang and libFuzzer's runtime: Debian's clang-14 and libclang-rt-14-dev (scripts/setup.sh
# installs them).
#
# Usage: scripts/fuzz-onnx.sh [SECONDS]   (default 600)
# Environment: BNNC_FUZZ_BUILD_DIR (default build-fuzz), BNNC_EXTERNAL_DATA (seed models),
# BNNC_BINARY (default build/src/bnnc: exports the PyTorch seeds to QONNX; skipped when absent).
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

mkdir -p "$build/corpus" "$build/findings" "$build/seeds"
if [[ -d $external/onnx ]]; then
  find "$external/onnx" -name '*.onnx' -size -300k -exec cp -n {} "$build/corpus/" \;
fi
# Tiny hand-made graphs of shape arithmetic near the int64 limits (earlier findings; their
# regression test is OnnxErrors.HugeShapeConstantsAreErrorsNotUndefinedBehaviour).
cp -n tests/fuzz/seeds/*.onnx "$build/corpus/"
if /usr/bin/python3 -c 'import torch, onnx' >/dev/null 2>&1 &&
  /usr/bin/python3 tests/interop/pytorch_bnns.py "$build/seeds" >/dev/null 2>&1; then
  bnnc=${BNNC_BINARY:-build/src/bnnc}
  for model in "$build"/seeds/*.onnx; do
    [[ $model == *.bnnc.onnx ]] && continue
    cp -n "$model" "$build/corpus/"
    if [[ -x $bnnc ]] && "$bnnc" export "$model" --out "${model%.onnx}.bnnc.onnx" >/dev/null 2>&1
    then
      cp -n "${model%.onnx}.bnnc.onnx" "$build/corpus/"
    fi
  done
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
exec "$build/tests/bnnc_onnx_fuzz" "$build/corpus" -artifact_prefix="$build/findings/" \
  -max_total_time="$seconds" -max_len=400000 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
