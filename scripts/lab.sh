#!/usr/bin/env bash
# The lab's entry point, as the README gives it: lab/lab.sh does the work.
exec "$(dirname "$0")/../lab/lab.sh" "$@"
