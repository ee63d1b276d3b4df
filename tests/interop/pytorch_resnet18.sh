#!/usr/bin/env bash
# ResNet-18 from a default torch.onnx.export (pytorch_resnet18.py, random ±1 weights): bnnc must
# give PyTorch's class on 8 images with the CPU engine and on 2 with the golden model (about 30 s
# for those two: 3.6 G binary ops a frame). Skips (exit 77) without torch/onnx.
# Usage: pytorch_resnet18.sh BNNC_BINARY
set -euo pipefail
bnnc=$1
# shellcheck source=tests/interop/resnet18_export.sh
source "$(dirname "$0")/resnet18_export.sh" 8
"$bnnc" import "$dir/resnet18.onnx" --out "$dir/resnet18.bnnc" --json
status=0
for engine in cpu golden; do
  limit=8
  [[ $engine == golden ]] && limit=2
  result=$("$bnnc" eval "$dir/resnet18.bnnc" --data "$dir/images.npy" --labels "$dir/classes.npy" \
    --engine $engine --limit $limit --json)
  echo "resnet18 ($engine): $result"
  grep -q '"accuracy":1.0,' <<< "$result" || { echo "resnet18 ($engine): differs from PyTorch" >&2; status=1; }
done
exit $status
