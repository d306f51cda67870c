#!/usr/bin/env bash
# Fails when a tracked C/C++ source differs from clang-format's output.
# Usage: scripts/check-format.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--dry-run -Werror)
[[ ${1:-} == --fix ]] && mode=(-i)
mapfile -t files < <(git ls-files '*.c' '*.cc' '*.h' 2>/dev/null || find bpf common daemon tests -name '*.[ch]' -o -name '*.cc')
clang-format "${mode[@]}" "${files[@]}"
echo "clang-format: ${#files[@]} files checked"
