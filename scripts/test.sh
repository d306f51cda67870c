#!/usr/bin/env bash
# Sets up and runs every test: installs dependencies, builds once (clang,
# scripts/clang.ini) with warnings as errors and ASan+UBSan, and runs the
# unit, Kubernetes-client, fuzz, BPF and end-to-end suites on that build (the
# agents, controller and API server of the end-to-end tests run sanitized
# too). Ends with "N passed, N failed". --no-sanitize builds without the
# sanitizers (faster binaries; build/) instead.
# Usage (as root, from a clone): scripts/test.sh [--no-install] [--no-sanitize]
set -euo pipefail

cd "$(dirname "$0")/.."
install=1 sanitize=1
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --no-sanitize) sanitize=0 ;;
    *) echo "usage: $0 [--no-install] [--no-sanitize]" >&2; exit 2 ;;
  esac
done

if ((install)); then scripts/install-deps.sh; fi

if ((sanitize)); then
  dir=build-test
  setup=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false)
else
  dir=build
  setup=(--buildtype=debugoptimized)
fi
if [[ ! -f $dir/build.ninja ]]; then meson setup --native-file scripts/clang.ini "$dir" "${setup[@]}"; fi
ninja -C "$dir"
# Keep going past failures: the summary below counts them.
meson test -C "$dir" --print-errorlogs \
  --suite unit --suite kube --suite fuzz --suite bpf --suite e2e || true
python3 scripts/test_summary.py "$dir/meson-logs/testlog.json"
