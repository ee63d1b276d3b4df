# shellcheck shell=bash disable=SC2154,SC2034  # build, out, default_steps come from the sourcing script; bnnc, status are for it
# Sourced by scripts/rtl-benchmark.sh and scripts/acceptance-latency.sh after they set `out` (the
# folder for designs and results), `default_steps` and `build`: builds bnnc into $build, makes
# $out, and gives them
#   runs N            whether step N was asked for (the script's arguments, else default_steps);
#   step NAME CMD...  runs CMD --json, shows it, its JSON and its wall time, keeps the JSON in
#                     $out/NAME.json; a failure sets status=1 (the scripts exit with $status).
# Run from the repository's root (the scripts cd there first).
steps=("$@")
[[ ${#steps[@]} -eq 0 ]] && steps=("${default_steps[@]}")
runs() { [[ " ${steps[*]} " == *" $1 "* ]]; }

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bnnc >/dev/null
bnnc="$build/src/bnnc"
mkdir -p "$out"
status=0
step() {
  local name=$1
  shift
  echo "== $*"
  local start=$SECONDS
  if "$@" --json >"$out/$name.json"; then :; else status=1; fi
  echo "   $(cat "$out/$name.json")"
  echo "   ($((SECONDS - start)) s)"
}
