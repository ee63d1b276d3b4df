#!/usr/bin/env bash
# PyTorch interop: small BNNs built and exported by PyTorch (pytorch_bnns.py), the default way and
# with training=PRESERVE, must get in bnnc the class PyTorch gives on every test image (zero
# mismatches), with the golden model and the CPU engine; the pad-free ones also compile, and their
# cycle simulation and RTL (Verilator) match the golden model. Needs Debian's python3-torch and
# python3-onnx for /usr/bin/python3; skips (exit 77) with a message where they are missing.
# Usage: pytorch_interop.sh BNNC_BINARY
set -euo pipefail
bnnc=$1
python=/usr/bin/python3
if ! "$python" -c 'import torch, onnx' >/dev/null 2>&1; then
  echo "skipped: $python cannot import torch and onnx (install python3-torch python3-onnx)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$python" "$(dirname "$0")/pytorch_bnns.py" "$dir" 2> "$dir/python.log" || {
  cat "$dir/python.log" >&2
  exit 1
}
status=0
check() {  # check LABEL JSON KEY_VALUE: the JSON must hold KEY_VALUE, else a mismatch
  echo "$1: $2"
  if ! grep -q "$3" <<< "$2"; then
    echo "$1: bnnc differs from PyTorch (expected $3)" >&2
    status=1
  fi
}
# Each network exported the default way (NAME.onnx: batch-norms fused into the convs) and with
# training=PRESERVE (NAME.preserve.onnx), and as `bnnc export` writes each back (QONNX: zero-padded
# convs, Pads of -1/+1, AND max-pools), which onnx.checker must accept.
for net in mlp conv conv_zero_pad where mlp_normalize conv_pad_pm1; do
  for export in "$net" "$net.preserve"; do
    "$bnnc" export "$dir/$export.onnx" --out "$dir/$export.bnnc.onnx" > /dev/null
    "$python" -c 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))' \
      "$dir/$export.bnnc.onnx" || { echo "$export: onnx.checker refuses bnnc's export" >&2; status=1; }
    for model in "$export.onnx" "$export.bnnc.onnx"; do
      for engine in golden cpu; do
        # Every image's label is PyTorch's class, so anything but all correct is a mismatch.
        check "$model ($engine)" "$("$bnnc" eval "$dir/$model" --data "$dir/images.npy" \
          --labels "$dir/${net}_classes.npy" --engine $engine --json)" '"accuracy":1.0,'
      done
    done
  done
done
# Residual networks (docs/residual.md): identity and projection blocks, padded max-pools, global
# average pools, default export and training=PRESERVE. (`bnnc export` writes no residual adds yet.)
# resnet_fc_bias: torchvision's classifier, Linear(24, 10) with a bias after the 4x4 average pool
# (the label-select's real-valued class offsets), with exact ties between classes.
for net in resnet_pm1 resnet_zero resnet_mean resnet_fc_bias; do
  for model in "$net.onnx" "$net.preserve.onnx"; do
    for engine in golden cpu; do
      check "$model ($engine)" "$("$bnnc" eval "$dir/$model" --data "$dir/images.npy" \
        --labels "$dir/${net}_classes.npy" --engine $engine --json)" '"accuracy":1.0,'
    done
  done
done
# The default exports through the dataflow compiler and the cycle simulator (the resnets: residual
# forks and joins with their tables, zero padding, padded max-pools, global average pools), and
# in Verilator the default exports that carry the new forms: `where` (first layer on pixel/255,
# fused batch-norms, the four comparison binarizers with ties), `conv` (fused batch-norms,
# pools before batch-norms with γ < 0: AND) and `resnet_pm1` (an identity join whose table the
# ±1 shortcut indexes, a projection join indexed by popcounts; docs/residual.md, "In the RTL")
# and `resnet_fc_bias` (the label-select's shift and real-valued offsets). Verilator builds take
# ~6-14 s a design, hence four.
declare -A sim_cycles
for export in mlp conv where mlp_normalize conv_pad_pm1 resnet_pm1 resnet_zero resnet_mean \
  resnet_fc_bias; do
  "$bnnc" compile "$dir/$export.onnx" --target-fps 2000 --out "$dir/$export.design" > /dev/null
  result=$("$bnnc" simulate "$dir/$export.design" --data "$dir/images.npy" --limit 16 --json)
  check "$export (simulate)" "$result" '"match":true,'
  sim_cycles[$export]=$(grep -o '"cycles_per_frame":[0-9.]*' <<< "$result")
done
# The RTL's unstalled cycles per frame must be the simulator's (for resnet_pm1 they differed,
# 105,120 against 100,388, while its bypass FIFOs kept it below its bottleneck; docs/residual.md).
for export in where conv resnet_pm1 resnet_fc_bias; do
  result=$("$bnnc" verify "$dir/$export.design" --data "$dir/images.npy" --limit 4 \
    --timing-frames 2 --json)
  check "$export (verify)" "$result" '"match":true,'
  check "$export (verify cycles)" "$result" "${sim_cycles[$export]},"
done
# torch.sign where its input can be exactly 0: refused (exit 2), naming the layer.
if result=$("$bnnc" eval "$dir/sign_tie.onnx" --data "$dir/images.npy" 2>&1); then
  echo "sign_tie.onnx: bnnc accepted torch.sign on values that can be exactly 0" >&2
  status=1
elif ! grep -q "ONNX's Sign (torch.sign) gives 0 there" <<< "$result"; then
  echo "sign_tie.onnx: unexpected error: $result" >&2
  status=1
fi
# Per-output weight scales on the Linear with a bias after the pool: refused (exit 2), naming the
# ONNX node rather than bnnc's split of it.
code=0
result=$("$bnnc" eval "$dir/fc_scales.onnx" --data "$dir/images.npy" 2>&1) || code=$?
if [[ $code != 2 ]] || ! grep -q "layer '/[0-9]*/Gemm' (its pixel_step0 step, affine)" <<< "$result"; then
  echo "fc_scales.onnx: expected exit 2 naming the Gemm, got $code: $result" >&2
  status=1
fi
exit $status
