#!/bin/bash
# Builds and runs the benchmarks; results go to stdout (and to
# bench/results/ with --save). Paths are relative to the repository.
#
#   bench/run.sh [--save] [--tls] [--build-dir=DIR] [informer_bench flags...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
save=0
args=()
certs=
for a in "$@"; do
  case $a in
    --save) save=1 ;;
    --build-dir=*) build=${a#--build-dir=} ;;
    --tls)
      certs=$(mktemp -d)
      trap 'rm -rf "$certs"' EXIT
      "$root/tests/apiserver/gen-certs.sh" "$certs" >/dev/null
      args+=(--tls "--certs_dir=$certs")
      ;;
    *) args+=("$a") ;;
  esac
done

ninja -C "$build" bench/informer_bench >/dev/null
cd "$root"
out=$("$build/bench/informer_bench" --crd=crd/gateways.raven.openyurt.io.yaml "${args[@]}")
echo "$out"
if (( save )); then
  mkdir -p bench/results
  f=bench/results/informer_bench-$(date -u +%Y%m%dT%H%M%SZ).txt
  { echo "# $(uname -srm), $(nproc) CPUs, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "# bench/run.sh $*"
    echo "$out"; } >"$f"
  echo "saved $f"
fi
