# shellcheck shell=bash disable=SC2034  # dir is for the sourcing script
# Sourced by the ResNet-18 interop tests: skips (exit 77) without torch and onnx for
# /usr/bin/python3, else exports pytorch_resnet18.py's ResNet-18 the default way with $1 random
# images into $dir (a fresh temporary folder, removed on exit): resnet18.onnx, images.npy,
# classes.npy (PyTorch's classes).
if ! /usr/bin/python3 -c 'import torch, onnx' >/dev/null 2>&1; then
  echo "skipped: /usr/bin/python3 cannot import torch and onnx (install python3-torch python3-onnx)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
PYTHONPATH="$(dirname "${BASH_SOURCE[0]}")" /usr/bin/python3 \
  "$(dirname "${BASH_SOURCE[0]}")/pytorch_resnet18.py" "$dir" "$1" 2> "$dir/python.log" \
  || { cat "$dir/python.log" >&2; exit 1; }
