#!/usr/bin/env bash
# Every check CI runs: clang-format, a warnings-as-errors build with the whole test suite, and an
# ASan+UBSan build running the error tests (where bad input must fail cleanly, never crash).
#
# Environment: BNNC_BUILD_DIR (default build), BNNC_ASAN_BUILD_DIR (default build-asan),
# BNNC_EXTERNAL_DATA (default ../shared/external; tests that need it skip without it).
# Exit code: 0 when everything passed, 1 when something failed (each failure is listed).
set -euo pipefail
# A BNNC_EXTERNAL_DATA given relative to where the script was started stays valid after the cd.
if [[ -n ${BNNC_EXTERNAL_DATA:-} ]]; then
  BNNC_EXTERNAL_DATA=$(realpath -m -- "$BNNC_EXTERNAL_DATA")
  export BNNC_EXTERNAL_DATA
fi
cd "$(dirname "$0")/.."

scripts/setup.sh clang-format
build=${BNNC_BUILD_DIR:-build}
asan_build=${BNNC_ASAN_BUILD_DIR:-build-asan}
failed=()

echo "== clang-format"
mapfile -t sources < <(find src tests \( -name '*.cpp' -o -name '*.h' \) -type f | sort)
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  failed+=("clang-format (fix with: clang-format -i FILE)")
fi

echo "== build ($build, warnings as errors) and all tests"
if cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBNNC_WERROR=ON \
    && cmake --build "$build"; then
  if ! ctest --test-dir "$build" --output-on-failure --no-tests=error -j2; then
    failed+=("ctest in $build")
  fi
else
  failed+=("build in $build")
fi

echo "== build ($asan_build, ASan+UBSan) and error tests"
# Any sanitizer report fails the test that triggered it: ASan stops at the first error, UBSan
# is made fatal too (and -fno-sanitize-recover=undefined in CMakeLists.txt makes it abort).
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
if cmake -S . -B "$asan_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBNNC_WERROR=ON \
      -DBNNC_SANITIZE=ON \
    && cmake --build "$asan_build"; then
  if ! ctest --test-dir "$asan_build" -L error --output-on-failure --no-tests=error -j2; then
    failed+=("error tests under ASan+UBSan in $asan_build")
  fi
else
  failed+=("build in $asan_build")
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run-tests: FAILED:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "run-tests: all passed"
