#!/usr/bin/env bash
# Issue 14's two RTL acceptance runs of the latency search's designs (docs/latency-search.md,
# "Acceptance runs", has their measured results; long, so they stay out of ctest):
#   1. AlexNet with every hidden channel and FC width divided by 8, compiled with
#      --objective latency for the xcvu9p, simulated, then verified in Verilator on 4 images
#      under random stalls on both sides;
#   2. BNN-PYNQ CNV-W1A1 compiled with --objective latency for the xc7z045, simulated, then
#      verified in Verilator on all 761 CIFAR-10 test images under stalls
#      (BNNC_ACCEPT_CNV_IMAGES=N verifies the first N only).
# Each checks: every class and score equal to the golden model (simulator and RTL), the RTL's
# unstalled cycles per frame equal to the simulator's, and the RTL's latency within 100 cycles of
# the simulator's (the MVTUs' and ROMs' pipeline registers, docs/rtl.md).
# Pass step numbers to run only some (`scripts/acceptance-latency.sh 2`).
#
# Environment: BNNC_BUILD_DIR (default build), BNNC_EXTERNAL_DATA (default ../shared/external),
# BNNC_ACCEPT_OUT (default $BNNC_BUILD_DIR/acceptance-latency: designs, JSON results),
# BNNC_ACCEPT_CNV_IMAGES (default 0 = all 761).
# Exit code: 0 all as expected, 1 a check failed, 2 setup or data missing.
set -euo pipefail
if [[ -n ${BNNC_EXTERNAL_DATA:-} ]]; then
  BNNC_EXTERNAL_DATA=$(realpath -m -- "$BNNC_EXTERNAL_DATA")
  export BNNC_EXTERNAL_DATA
fi
cd "$(dirname "$0")/.."
build=${BNNC_BUILD_DIR:-build}
out=${BNNC_ACCEPT_OUT:-$build/acceptance-latency}
external=${BNNC_EXTERNAL_DATA:-../shared/external}
cnv_images=${BNNC_ACCEPT_CNV_IMAGES:-0}
default_steps=(1 2)
# shellcheck source=scripts/steps.sh
source scripts/steps.sh "$@"
# The integer value of a top-level JSON key (the commands print one object on one line).
key() { grep -o "\"$2\":[0-9.]*" "$out/$1.json" | head -n 1 | cut -d: -f2; }
# RTL against simulator: cycles per frame equal, latency at most 100 cycles longer, 0 mismatches.
compare() {
  local sim=$1 rtl=$2
  local sc rc sl rl
  sc=$(key "$sim" cycles_per_frame) rc=$(key "$rtl" cycles_per_frame)
  sl=$(key "$sim" latency_cycles) rl=$(key "$rtl" latency_cycles)
  echo "   cycles/frame RTL $rc, simulator $sc; latency RTL $rl, simulator $sl;" \
    "mismatches $(key "$rtl" mismatches)"
  if [[ -z $rc || -z $sc || $(key "$rtl" mismatches) != 0 ]] \
    || ! awk -v a="$rc" -v b="$sc" -v c="$rl" -v d="$sl" \
      'BEGIN { exit !(a == b && c >= d && c - d <= 100) }'; then
    echo "   FAILED: RTL and simulator differ" >&2
    status=1
  fi
}

if runs 1; then
  "$bnnc" generate alexnet --width-divisor 8 --images 4 --images-out "$out/alexnet8.npy" \
    --out "$out/alexnet8.bnnc" >/dev/null
  "$bnnc" compile "$out/alexnet8.bnnc" --objective latency --device xcvu9p --force \
    --out "$out/alexnet8" >/dev/null
  [[ -e $out/alexnet8/rtl/rtl.json ]] || { echo "AlexNet/8: no RTL written" >&2; exit 1; }
  step alexnet8-simulate "$bnnc" simulate "$out/alexnet8" --data "$out/alexnet8.npy"
  step alexnet8-verify "$bnnc" verify "$out/alexnet8" --data "$out/alexnet8.npy" --limit 4 \
    --timing-frames 4
  compare alexnet8-simulate alexnet8-verify
fi
if runs 2; then
  cnv_params="$external/bnn-pynq/params/cifar10/cnvW1A1"
  cifar="$external/cifar10/test_batch_first761.bin"
  [[ -e $cnv_params && -e $cifar ]] || { echo "acceptance: $cnv_params or $cifar not found" >&2; exit 2; }
  "$bnnc" import "$cnv_params" --topology cnv --out "$out/cnv-w1a1.bnnc" >/dev/null
  "$bnnc" compile "$out/cnv-w1a1.bnnc" --objective latency --device xc7z045 --force \
    --out "$out/cnv" >/dev/null
  [[ -e $out/cnv/rtl/rtl.json ]] || { echo "CNV: no RTL written" >&2; exit 1; }
  # The simulator on the 8 images of verify's unstalled timing run (the same frames, the same
  # cycles); verify itself checks every class and score against the golden model.
  step cnv-simulate "$bnnc" simulate "$out/cnv" --data "$cifar" --limit 8
  step cnv-verify "$bnnc" verify "$out/cnv" --data "$cifar" --limit "$cnv_images" \
    --timing-frames 8
  compare cnv-simulate cnv-verify
fi
exit $status
