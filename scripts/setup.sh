#!/usr/bin/env bash
# Installs what bnnc needs to build and test, but only what is missing: Debian packages, checked
# with dpkg-query; `apt-get update` runs only when something has to be installed. Works without
# root when everything is already there. Extra package names may be given as arguments
# (run-tests.sh adds clang-format).
#
# Exit code 2 when packages are missing and cannot be installed (not root, no sudo).
set -euo pipefail

packages=(cmake ninja-build g++ libcli11-dev nlohmann-json3-dev libfmt-dev libgtest-dev
          libbenchmark-dev zlib1g-dev "$@")
# ONNX interchange (issue 4); python3-onnx and python3-torch run the PyTorch interop test.
packages+=(libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx python3-torch)
# scripts/fuzz-onnx.sh: clang with libFuzzer's runtime.
packages+=(clang libclang-rt-14-dev)
# Training (issue 3): libtorch with OpenBLAS (5.6x faster than the reference BLAS), Fashion-MNIST.
packages+=(libtorch-dev libopenblas-dev dataset-fashion-mnist)
# RTL (issue 7): Verilator (bnnc verify, the rtl tests; make builds its models), Icarus Verilog
# (elaboration check), Yosys (bnnc synth), nextpnr-ice40 and icestorm (iCE40 place and route).
packages+=(make verilator iverilog yosys nextpnr-ice40 fpga-icestorm)
# The hostile-input suite (tests/error/hostile_inputs_test.cpp): strace injects failing writes;
# gzip makes its gzipped IDX inputs; prlimit (util-linux) caps the memory of its sparse-file runs.
packages+=(strace gzip util-linux)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup: not a Debian system (no dpkg-query); assuming these are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
  echo "setup: missing packages: ${missing[*]}; install them as root:" \
       "apt-get install ${missing[*]}" >&2
  exit 2
fi
echo "setup: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
