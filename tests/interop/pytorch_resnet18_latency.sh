#!/usr/bin/env bash
# ResNet-18 with its shortcuts, from a default torch.onnx.export (pytorch_resnet18.py), through the
# latency search for the xcvu9p (issue 14's acceptance network): the searched design fits, its
# analytic estimate is within 5 % of its simulated latency, and that latency is at most each
# hand-written folding's in foldings/ (docs/latency-search.md, "Against hand-written foldings"):
# two for the network as imported, and the search's own design of 2026-12-07 for the graph with
# the pool in the FC (the design's model.bnnc), so that a search that settles on a slower design
# fails. About 3 minutes of CPU, most of it the search. Skips (exit 77) without torch/onnx.
# Usage: pytorch_resnet18_latency.sh BNNC_BINARY
set -euo pipefail
bnnc=$1
foldings="$(cd "$(dirname "$0")/../../foldings" && pwd)"
# shellcheck source=tests/interop/resnet18_export.sh
source "$(dirname "$0")/resnet18_export.sh" 1
"$bnnc" import "$dir/resnet18.onnx" --out "$dir/resnet18.bnnc" > /dev/null
# The integer value of a top-level key of compile's one-line JSON.
key() { grep -o "\"$2\":[0-9.]*" <<< "$1" | head -n 1 | cut -d: -f2; }
searched=$("$bnnc" compile "$dir/resnet18.bnnc" --objective latency --device xcvu9p \
  --out "$dir/search" --json)
latency=$(key "$searched" latency_cycles)
estimate=$(key "$searched" latency_estimate_cycles)
echo "search: latency $latency cycles (estimate $estimate)"
status=0
if ! awk -v e="$estimate" -v l="$latency" 'BEGIN { d = e / l - 1; exit !(d <= 0.05 && d >= -0.05) }'; then
  echo "the estimate $estimate is more than 5 % from the simulated $latency" >&2
  status=1
fi
check() {  # model, folding file
  local result hand
  result=$("$bnnc" compile "$1" --folding "$foldings/$2" --device xcvu9p --out "$dir/hand" \
    --force --json)
  hand=$(key "$result" latency_cycles)
  echo "$2: latency $hand cycles"
  if (( latency > hand )); then
    echo "the search ($latency cycles) is slower than $2 ($hand)" >&2
    status=1
  fi
}
check "$dir/resnet18.bnnc" resnet18-shortcuts-latency-uniform.json
check "$dir/resnet18.bnnc" resnet18-shortcuts-latency-stem-mmv8.json
check "$dir/search/model.bnnc" resnet18-shortcuts-latency-search-best.json
exit $status
