#!/usr/bin/env bash
# bnnc's main job, end to end: set up, build (Release) and reproduce BNN-PYNQ's CNV-W1A1 on
# CIFAR-10 with the golden model: import the trained parameters, show the network, classify the
# 761 test images (615 correct, DESIGN.md §5) and BNN-PYNQ's deer.bin (class 4).
#
# Environment: BNNC_BUILD_DIR (default build), BNNC_EXTERNAL_DATA (default ../shared/external).
# Exit codes: 0 all as expected, 1 a result differs from the expected one, 2 setup or input
# missing (e.g. no external data).
set -euo pipefail
# A BNNC_EXTERNAL_DATA given relative to where the script was started stays valid after the cd.
if [[ -n ${BNNC_EXTERNAL_DATA:-} ]]; then
  BNNC_EXTERNAL_DATA=$(realpath -m -- "$BNNC_EXTERNAL_DATA")
  export BNNC_EXTERNAL_DATA
fi
cd "$(dirname "$0")/.."

# The data first: without it there is nothing to build for.
external=${BNNC_EXTERNAL_DATA:-../shared/external}
params="$external/bnn-pynq/params/cifar10/cnvW1A1"
images="$external/cifar10/test_batch_first761.bin"
deer="$external/bnn-pynq/test_image/deer.bin"
for needed in "$params" "$images" "$deer"; do
  if [[ ! -e $needed ]]; then
    echo "run-main-job: $needed not found: the main job needs BNN-PYNQ's CNV-W1A1 and CIFAR-10" \
         "data from ../shared/external (set BNNC_EXTERNAL_DATA to its location)" >&2
    exit 2
  fi
done

scripts/setup.sh
build=${BNNC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bnnc
bnnc="$build/src/bnnc"

model="$build/cnv-w1a1.bnnc"
echo "== bnnc import"
"$bnnc" import "$params" --topology cnv --out "$model"
echo
echo "== bnnc info"
"$bnnc" info "$model"
echo
echo "== bnnc eval (CIFAR-10, first 761 test images)"
eval_text=$("$bnnc" eval "$model" --data "$images")
echo "$eval_text"
echo
echo "== bnnc eval (deer.bin)"
deer_json=$("$bnnc" eval "$model" --data "$deer" --predictions --json)
deer_class=$(sed -n 's/.*"predictions":\[\([0-9]*\)\].*/\1/p' <<<"$deer_json")
echo "deer.bin → class ${deer_class:-?}"
echo

status=0
correct=$(sed -n 's/^correct *\([0-9]*\)$/\1/p' <<<"$eval_text")
if [[ $correct != 615 ]]; then
  echo "run-main-job: expected 615 of 761 images correct, got ${correct:-none}" >&2
  status=1
fi
if [[ $deer_class != 4 ]]; then
  echo "run-main-job: expected deer.bin to be class 4 (Deer), got ${deer_class:-none}" >&2
  status=1
fi
if [[ $status -eq 0 ]]; then
  echo "run-main-job: OK (615/761 correct, deer.bin → 4, as BNN-PYNQ)"
fi
exit $status
