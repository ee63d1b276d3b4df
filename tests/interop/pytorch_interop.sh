#!/usr/bin/env bash
# PyTorch interop: small BNNs built and exported by PyTorch (pytorch_bnns.py) must get, in bnnc,
# the class PyTorch gives on every test image (zero mismatches). Needs Debian's python3-torch and
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
# Each network as PyTorch exported it, and as `bnnc export` writes it back (QONNX: zero-padded
# convs, Pads of -1/+1, AND max-pools), which onnx.checker must accept.
for net in mlp conv conv_zero_pad conv_pad_pm1; do
  "$bnnc" export "$dir/$net.onnx" --out "$dir/$net.bnnc.onnx" > /dev/null
  "$python" -c 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))' \
    "$dir/$net.bnnc.onnx" || { echo "$net: onnx.checker refuses bnnc's export" >&2; status=1; }
  for model in "$net.onnx" "$net.bnnc.onnx"; do
    for engine in golden cpu; do
      result=$("$bnnc" eval "$dir/$model" --data "$dir/images.npy" \
        --labels "$dir/${net}_classes.npy" --engine $engine --json)
      echo "$model ($engine): $result"
      # Every image's label is PyTorch's class, so anything but all correct is a mismatch.
      if ! grep -q '"accuracy":1.0,' <<< "$result"; then
        echo "$model ($engine): bnnc's classes differ from PyTorch's" >&2
        status=1
      fi
    done
  done
done
exit $status
