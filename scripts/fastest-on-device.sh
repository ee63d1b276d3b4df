#!/usr/bin/env bash
# The fastest throughput design of a model that fits each FPGA part (docs/devices.md): a binary
# search on the cycle limit (bottleneck cycles per frame) with `bnnc compile --target-fps F
# --device D`, where F = clock / limit. A limit either compiles (the cheapest folding meeting it,
# or one at another BRAM price, fits the part) or is refused naming the resource; the search
# keeps the smallest limit that compiles, between the first power of two (from 16) that does and
# half of it. Fitting is assumed monotone in the limit (a slower
# design needs fewer LUTs; its memories may take more BRAM but the three BRAM prices cover that
# in practice), so the result is the fastest design on the cycle grid the search visits.
#
# usage: scripts/fastest-on-device.sh BNNC MODEL [DEVICE ...]
# prints one line per part: device, bottleneck cycles, frames/s, latency, LUTs, BRAM18, URAM,
# DSPs, and where each MVTU's weights live.
set -euo pipefail
bnnc=$1
model=$2
shift 2
devices=("$@")
[[ ${#devices[@]} -gt 0 ]] || devices=(xc7z020 xczu3eg xc7z045 xcku115 xcvu9p)
clock=200
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

compiles() {  # compiles DEVICE LIMIT → writes $work/out.json, status 0 when it fits
  local fps
  fps=$(python3 -c "print(${clock} * 1e6 / $2)")
  "$bnnc" compile "$model" --target-fps "$fps" --device "$1" --clock-mhz "$clock" \
    --out "$work/hw" --force --json >"$work/out.json" 2>"$work/err.txt"
}

for device in "${devices[@]}"; do
  # Doubling from 16 cycles to the first limit that fits (refusals are fast: the fit is checked
  # before a frame is simulated, and the slowest foldings would take minutes to simulate).
  lo=1
  hi=16
  until compiles "$device" "$hi"; do
    if ((hi > 1 << 26)); then
      echo "$device: no folding up to $hi cycles fits: $(cat "$work/err.txt")"
      continue 2
    fi
    lo=$((hi + 1))
    hi=$((hi * 2))
  done
  while ((lo < hi)); do
    mid=$(((lo + hi) / 2))
    if compiles "$device" "$mid"; then hi=$mid; else lo=$((mid + 1)); fi
  done
  compiles "$device" "$hi"
  python3 - "$device" "$work/out.json" <<'PY'
import json, sys
device, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
where = " ".join(f"{l['name']}={l['weights_in']}" for l in r["layers"] if "weights_in" in l)
print(f"{device}: {r['bottleneck_cycles']} cycles, {r['fps']:.0f} fps, latency "
      f"{r['latency_cycles']} cycles ({r['latency_source']}), {r['luts']} LUTs, {r['brams']} BRAM18, "
      f"{r['urams']} URAM, {r['dsps']} DSPs; weights: {where}")
PY
done
