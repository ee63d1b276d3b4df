#!/usr/bin/env bash
# bnnc's main job, end to end, on the project's own LFC (trained by `bnnc train`, shipped in
# models/): set up, build (Release), show the model, classify the 10,000 Fashion-MNIST test
# images with the golden model (checking the figure models/README.md gives), compile it into a
# streaming accelerator for 100,000 frames/s at 100 MHz, verify the RTL in Verilator against the
# golden model on test images under random stalls (cycles per frame equal to the cycle
# simulator's), synthesize it with Yosys for Xilinx 7-series, measure the CPU engine, and print
# one summary. Then, only when BNN-PYNQ's data is there (../shared/external, optional),
# reproduce BNN-PYNQ's CNV-W1A1 on CIFAR-10: import the trained parameters, classify the 761
# test images (615 correct, DESIGN.md §5) and deer.bin (class 4).
#
# Environment: BNNC_BUILD_DIR (default build), BNNC_EXTERNAL_DATA (default ../shared/external),
# BNNC_MAIN_VERIFY_IMAGES (default 1000: images run through the RTL), BNNC_CACHE_DIR (Verilator
# builds; default ~/.cache/bnnc).
# Exit codes: 0 all as expected, 1 a result differs from the expected one, 2 setup or input
# missing (e.g. no Fashion-MNIST).
set -euo pipefail
# A BNNC_EXTERNAL_DATA given relative to where the script was started stays valid after the cd.
if [[ -n ${BNNC_EXTERNAL_DATA:-} ]]; then
  BNNC_EXTERNAL_DATA=$(realpath -m -- "$BNNC_EXTERNAL_DATA")
  export BNNC_EXTERNAL_DATA
fi
cd "$(dirname "$0")/.."

scripts/setup.sh
fashion=/usr/share/datasets/fashion-mnist
if [[ ! -d $fashion ]]; then
  echo "run-main-job: $fashion: not found; install the Debian package dataset-fashion-mnist" >&2
  exit 2
fi
build=${BNNC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bnnc
bnnc="$build/src/bnnc"
status=0

# The shipped LFC and its golden-model figure on the Fashion-MNIST test set (models/README.md).
model=models/lfc.bnnc
expected_lfc=$(sed -n 's/^| lfc |.*| \([0-9]*\)\/10000 |.*/\1/p' models/README.md)
echo "== bnnc info $model"
"$bnnc" info "$model"
echo
echo "== bnnc eval $model (Fashion-MNIST, 10,000 test images)"
eval_text=$("$bnnc" eval "$model" --data "$fashion")
echo "$eval_text"
echo
correct=$(sed -n 's/^correct *\([0-9]*\)$/\1/p' <<<"$eval_text")
if [[ $correct != "$expected_lfc" ]]; then
  echo "run-main-job: expected $expected_lfc of 10000 correct (models/README.md), got" \
       "${correct:-none}" >&2
  status=1
else
  echo "run-main-job: LFC OK ($correct/10000 correct, as models/README.md)"
fi
accuracy=$(sed -n 's/^accuracy *\([0-9.]*\).*/\1/p' <<<"$eval_text")

# The first value of KEY in a one-line JSON object (the top level's, which comes first):
# json_value KEY FILE.
json_value() { grep -o "\"$1\":[^,}]*" "$2" | head -1 | cut -d: -f2- | tr -d '"'; }

design="$build/lfc-hw"
clock=100
echo
echo "== bnnc compile $model --target-fps 100000 --clock-mhz $clock --force --out $design"
"$bnnc" compile "$model" --target-fps 100000 --clock-mhz "$clock" --force --out "$design"
verify_images=${BNNC_MAIN_VERIFY_IMAGES:-1000}
echo
echo "== bnnc verify $design (Verilator, $verify_images test images, random stalls)"
if ! "$bnnc" verify "$design" --data "$fashion" --limit "$verify_images" --json \
    >"$design/verify.json"; then
  echo "run-main-job: the RTL differs from the golden model: $(cat "$design/verify.json")" >&2
  status=1
fi
cat "$design/verify.json"
"$bnnc" simulate "$design" --data "$fashion" --limit 8 --json >"$design/simulate.json" || status=1
echo
echo "== bnnc synth $design --target xc7 (Yosys)"
"$bnnc" synth "$design" --target xc7
echo
echo "== bnnc bench $model"
"$bnnc" bench "$model" --batch 1024 --seconds 0.3 --repeats 3 --json >"$design/bench.json"

cycles=$(json_value cycles_per_frame "$design/verify.json")
sim_cycles=$(json_value cycles_per_frame "$design/simulate.json")
latency=$(json_value latency_cycles "$design/verify.json")
if [[ $cycles != "$sim_cycles" ]]; then
  echo "run-main-job: RTL cycles per frame $cycles differ from the simulator's $sim_cycles" >&2
  status=1
fi
echo
echo "== summary: $model on Fashion-MNIST"
awk -v acc="$accuracy" -v n="$(json_value images "$design/verify.json")" \
    -v exact="$(json_value match "$design/verify.json")" -v cycles="$cycles" \
    -v sim="$sim_cycles" -v clock="$clock" -v latency="$latency" \
    -v luts="$(json_value luts "$design/synth/xc7/result.json")" \
    -v b18="$(json_value bram18 "$design/synth/xc7/result.json")" \
    -v b36="$(json_value bram36 "$design/synth/xc7/result.json")" \
    -v cpu="$(json_value fps "$design/bench.json")" 'BEGIN {
  printf "accuracy          %s %% (golden model, 10,000 test images)\n", acc
  printf "RTL vs golden     %s on %d images (Verilator, random stalls)\n",
         exact == "true" ? "bit-exact" : "MISMATCH", n
  printf "cycles per frame  %d (Verilator; cycle simulator %d)\n", cycles, sim
  printf "frames/s          %.0f at %d MHz\n", clock * 1e6 / cycles, clock
  printf "latency           %d cycles = %.2f us at %d MHz\n", latency, latency / clock, clock
  printf "FPGA resources    %s LUTs, %s RAMB18 + %s RAMB36 (Yosys synth_xilinx)\n", luts, b18, b36
  printf "CPU engine        %.0f frames/s (bnnc bench, batch 1024)\n", cpu
}'

external=${BNNC_EXTERNAL_DATA:-../shared/external}
params="$external/bnn-pynq/params/cifar10/cnvW1A1"
images="$external/cifar10/test_batch_first761.bin"
deer="$external/bnn-pynq/test_image/deer.bin"
if [[ ! -e $params || ! -e $images || ! -e $deer ]]; then
  echo "run-main-job: BNN-PYNQ's CNV-W1A1 data not found in $external: skipping that part"
  exit $status
fi

cnv="$build/cnv-w1a1.bnnc"
echo
echo "== bnnc import (BNN-PYNQ CNV-W1A1)"
"$bnnc" import "$params" --topology cnv --out "$cnv"
echo
echo "== bnnc eval (CIFAR-10, first 761 test images)"
eval_text=$("$bnnc" eval "$cnv" --data "$images")
echo "$eval_text"
echo
echo "== bnnc eval (deer.bin)"
deer_json=$("$bnnc" eval "$cnv" --data "$deer" --predictions --json)
deer_class=$(sed -n 's/.*"predictions":\[\([0-9]*\)\].*/\1/p' <<<"$deer_json")
echo "deer.bin → class ${deer_class:-?}"
echo

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
  echo "run-main-job: OK (LFC as models/README.md; CNV-W1A1 615/761 correct, deer.bin → 4)"
fi
exit $status
