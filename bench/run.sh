#!/bin/bash
# Builds and runs the benchmarks; results go to stdout (and to
# bench/results/<bench>-<time>.txt with --save). Paths are relative to the
# repository.
#
#   bench/run.sh [--save] [--tls] [--build-dir=DIR] [--only=informer|controller]
#                [informer_bench flags...]
#
# informer_bench: informer throughput/latency vs re-listing on every change.
# controller_bench: 5,000 nodes in 500 Gateways; election pass, full
# reconcile, Lease expiry -> status write (ratio vs upstream's 40 s NotReady
# detection), the controller process's peak memory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cmdline="$*"
build=$root/build
save=0
only=
args=()
certs=
for a in "$@"; do
  case $a in
    --save) save=1 ;;
    --build-dir=*) build=${a#--build-dir=} ;;
    --only=*) only=${a#--only=} ;;
    --tls)
      certs=$(mktemp -d)
      trap 'rm -rf "$certs"' EXIT
      "$root/lab/apiserver/gen-certs.sh" "$certs" >/dev/null
      args+=(--tls "--certs_dir=$certs")
      ;;
    *) args+=("$a") ;;
  esac
done

# save NAME OUTPUT: bench/results/NAME-<UTC time>.txt with a header.
save_result() {
  mkdir -p "$root/bench/results"
  local f=bench/results/$1-$(date -u +%Y%m%dT%H%M%SZ).txt
  { echo "# $(uname -srm), $(nproc) CPUs, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "# bench/run.sh $cmdline"
    echo "$2"; } >"$root/$f"
  echo "saved $f"
}

cd "$root"
if [[ -z $only || $only == informer ]]; then
  ninja -C "$build" bench/informer_bench >/dev/null
  out=$("$build/bench/informer_bench" --crd=crd/gateways.raven.openyurt.io.yaml "${args[@]}")
  echo "$out"
  ((save)) && save_result informer_bench "$out"
fi
if [[ -z $only || $only == controller ]]; then
  ninja -C "$build" bench/controller_bench >/dev/null
  out=$("$build/bench/controller_bench" --crd=crd/gateways.raven.openyurt.io.yaml)
  echo "$out"
  ((save)) && save_result controller_bench "$out"
fi
exit 0
