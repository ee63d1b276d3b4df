#!/usr/bin/env bash
# Zero padding end to end (docs/zero-padding.md): one small conv BNN written in PyTorch twice,
# with PyTorch's default zero padding (Conv2d(padding=1)) and with −1 padding
# (ConstantPad2d(1, −1) + Conv2d), exported by torch.onnx.export; on each, bnnc eval must give
# PyTorch's class on every image, and bnnc compile, simulate and verify (Verilator, random
# stalls) must report 0 mismatches. Prints every command's JSON (the figures docs/zero-padding.md
# quotes). Skips (exit 77) without torch/onnx for /usr/bin/python3 or without verilator.
# Usage: pytorch_zero_pad.sh BNNC_BINARY [OUT_DIR]
set -euo pipefail
bnnc=$1
if ! /usr/bin/python3 -c 'import torch, onnx' >/dev/null 2>&1 || ! command -v verilator >/dev/null; then
  echo "skipped: needs /usr/bin/python3 with torch and onnx (python3-torch python3-onnx) and verilator"
  exit 77
fi
if [[ $# -ge 2 ]]; then
  dir=$2
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
/usr/bin/python3 - "$dir" 2> "$dir/python.log" <<'PY' || { cat "$dir/python.log" >&2; exit 1; }
import sys
import numpy as np
import torch
from torch import nn

out = sys.argv[1]


class Sign(nn.Module):
    def forward(self, x):
        return torch.sign(x)


class Centre(nn.Module):  # pixel/255 - 0.5 is never 0 on integer pixels
    def forward(self, x):
        return x - 0.5


def net(zero):
    pad = (lambda: nn.Identity()) if zero else (lambda: nn.ConstantPad2d(1, -1.0))
    p = 1 if zero else 0
    return nn.Sequential(
        Centre(), Sign(), pad(), nn.Conv2d(1, 16, 3, padding=p, bias=False), nn.BatchNorm2d(16),
        Sign(), nn.MaxPool2d(2), pad(), nn.Conv2d(16, 32, 3, stride=2, padding=p, bias=False),
        nn.BatchNorm2d(32), Sign(), pad(), nn.Conv2d(32, 32, 3, padding=p, bias=False),
        nn.BatchNorm2d(32), Sign(), nn.Flatten(), nn.Linear(32 * 7 * 7, 10, bias=False))


gen = torch.Generator().manual_seed(15)
images = torch.randint(0, 256, (100, 1, 28, 28), generator=gen, dtype=torch.uint8)
np.save(f"{out}/images.npy", images.numpy())
for name, zero in (("zero_pad", True), ("minus_one_pad", False)):
    torch.manual_seed(15)
    model = net(zero)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                m.weight.copy_(torch.where(m.weight >= 0, 1.0, -1.0))
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.where(torch.rand(n, generator=gen) < 0.3, -1.0, 1.0)
                               * (0.5 + torch.rand(n, generator=gen)))
                m.bias.copy_(torch.randn(n, generator=gen))
                m.running_mean.copy_(torch.randn(n, generator=gen) * 3)
                m.running_var.copy_(0.5 + torch.rand(n, generator=gen) * 4)
    model.eval()
    with torch.no_grad():
        classes = model(images.float() / 255).argmax(dim=1)
    np.save(f"{out}/{name}_classes.npy", classes.numpy().astype(np.int64))
    # The default call, as users export: the exporter folds each batch-norm into its conv.
    torch.onnx.export(model.eval(), images[:1].float() / 255, f"{out}/{name}.onnx")
PY
status=0
# Runs one bnnc command with --json, prints its JSON and fails the script unless it holds $1.
check() {
  local want=$1
  shift
  local result
  result=$("$bnnc" "$@" --json) || { echo "bnnc $*: exit $?" >&2; status=1; return; }
  echo "$result"
  grep -q -- "$want" <<< "$result" || { echo "bnnc $*: no $want" >&2; status=1; }
}
for name in zero_pad minus_one_pad; do
  echo "== $name"
  check '"accuracy":1.0,' eval "$dir/$name.onnx" --data "$dir/images.npy" \
    --labels "$dir/${name}_classes.npy" --engine golden
  check '"bottleneck_cycles":' compile "$dir/$name.onnx" --target-fps 20000 --out "$dir/$name" \
    --force
  check '"mismatches":0,' simulate "$dir/$name" --data "$dir/images.npy" --limit 100
  check '"mismatches":0,' verify "$dir/$name" --data "$dir/images.npy" --limit 20
done
exit $status
