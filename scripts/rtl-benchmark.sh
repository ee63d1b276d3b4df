#!/usr/bin/env bash
# The long RTL runs that stay out of ctest (docs/rtl.md gives their measured results):
#   1. BNN-PYNQ CNV-W1A1 with BNN-PYNQ's folding: Verilator on all 761 CIFAR-10 test images
#      (random stalls on both sides) and deer.bin, against the golden model;
#   2. BNN-PYNQ LFC-W1A1 with BNN-PYNQ's folding: Verilator on all 10,000 MNIST test images;
#   3. Yosys synth_xilinx of that CNV (per block and in total);
#   4. the shipped TFC (models/tfc.bnnc) placed and routed on an iCE40 HX8K: Fmax and bitstream;
#   5. CNV-W1A1 with BNN-PYNQ's folding and --early-exit on (rtl/bnn_mvtu_exit.sv): Verilator on
#      all 761 images against the golden model, and its cycles per frame beside the simulator's
#      (docs/similarity.md, "Early termination in the engines").
# Pass step numbers to run only some (`scripts/rtl-benchmark.sh 1 4`).
#
# Environment: BNNC_BUILD_DIR (default build), BNNC_EXTERNAL_DATA (default ../shared/external),
# BNNC_BENCH_OUT (default $BNNC_BUILD_DIR/rtl-benchmark: designs, reports and a log).
# Exit code: 0 all as expected, 1 a check failed, 2 setup or data missing.
set -euo pipefail
if [[ -n ${BNNC_EXTERNAL_DATA:-} ]]; then
  BNNC_EXTERNAL_DATA=$(realpath -m -- "$BNNC_EXTERNAL_DATA")
  export BNNC_EXTERNAL_DATA
fi
cd "$(dirname "$0")/.."
build=${BNNC_BUILD_DIR:-build}
out=${BNNC_BENCH_OUT:-$build/rtl-benchmark}
external=${BNNC_EXTERNAL_DATA:-../shared/external}
default_steps=(1 2 3 4 5)
# shellcheck source=scripts/steps.sh
source scripts/steps.sh "$@"

cnv_params="$external/bnn-pynq/params/cifar10/cnvW1A1"
lfc_params="$external/bnn-pynq/params/mnist/lfcW1A1"
if runs 1 || runs 3 || runs 5; then
  [[ -e $cnv_params ]] || { echo "rtl-benchmark: $cnv_params not found" >&2; exit 2; }
  "$bnnc" import "$cnv_params" --topology cnv --out "$out/cnv-w1a1.bnnc" >/dev/null
  "$bnnc" compile "$out/cnv-w1a1.bnnc" --folding foldings/cnv-w1a1-bnn-pynq.json --force \
    --out "$out/cnv" >/dev/null
fi
if runs 1; then
  step cnv-verify "$bnnc" verify "$out/cnv" --data "$external/cifar10/test_batch_first761.bin" \
    --limit 0
  step cnv-deer "$bnnc" verify "$out/cnv" --data "$external/bnn-pynq/test_image/deer.bin"
  "$bnnc" eval "$out/cnv-w1a1.bnnc" --data "$external/bnn-pynq/test_image/deer.bin" \
    --predictions --json | grep -q '"predictions":\[4\]' || { echo "deer.bin is not class 4"; status=1; }
fi
if runs 2; then
  [[ -e $lfc_params ]] || { echo "rtl-benchmark: $lfc_params not found" >&2; exit 2; }
  "$bnnc" import "$lfc_params" --topology lfc --out "$out/lfc-w1a1.bnnc" >/dev/null
  "$bnnc" compile "$out/lfc-w1a1.bnnc" --folding foldings/lfc-w1a1-bnn-pynq.json --force \
    --out "$out/lfc" >/dev/null
  step lfc-verify "$bnnc" verify "$out/lfc" --data "$external/mnist/t10k-images-idx3-ubyte.gz" \
    --limit 0
fi
if runs 3; then
  step cnv-synth-xc7 "$bnnc" synth "$out/cnv" --target xc7
fi
if runs 4; then
  "$bnnc" compile models/tfc.bnnc --target-fps 100000 --force --out "$out/tfc" >/dev/null
  step tfc-synth-ice40 "$bnnc" synth "$out/tfc" --target ice40 --freq-mhz 100
fi
if runs 5; then
  "$bnnc" compile "$out/cnv-w1a1.bnnc" --folding foldings/cnv-w1a1-bnn-pynq.json --early-exit on \
    --force --out "$out/cnv-exit" >/dev/null
  step cnv-exit-verify "$bnnc" verify "$out/cnv-exit" \
    --data "$external/cifar10/test_batch_first761.bin" --limit 0 --timing-frames 761
  step cnv-exit-simulate "$bnnc" simulate "$out/cnv-exit" \
    --data "$external/cifar10/test_batch_first761.bin" --limit 0
fi
exit $status
