#!/usr/bin/env bash
# Sets up and runs every test: installs dependencies, builds with warnings as
# errors, runs the unit, Kubernetes-client, fuzz, BPF and end-to-end suites,
# then the userspace unit and client tests again under ASan+UBSan. Ends with
# "N passed, N failed".
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

run_suites() {  # build dir, meson setup args..., then -- and suites
  local dir=$1; shift
  local setup=() suites=()
  while (($#)) && [[ $1 != -- ]]; do setup+=("$1"); shift; done
  shift
  suites=("$@")
  if [[ ! -f $dir/build.ninja ]]; then meson setup "$dir" "${setup[@]}"; fi
  ninja -C "$dir"
  local args=()
  for s in "${suites[@]}"; do args+=(--suite "$s"); done
  # Keep going past failures: the summary below counts them.
  meson test -C "$dir" --print-errorlogs "${args[@]}" || true
}

run_suites build -- unit kube fuzz bpf e2e
if ((sanitize)); then
  run_suites build-sanitize -Db_sanitize=address,undefined -Db_lundef=false -- unit kube
fi

python3 scripts/test_summary.py build/meson-logs/testlog.json \
  $( ((sanitize)) && echo build-sanitize/meson-logs/testlog.json )
