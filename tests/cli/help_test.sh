#!/bin/bash
# --help of each binary, as a new user types it: exit status 0, the one-line
# usage, and every flag defined in its main.cc (the set --helpfull shows for
# that file) under its dashed name with a default and a meaning; a tunnel mark
# kube-proxy would act on is refused.
#
#   RAVEN_AGENT=build/daemon/raven-agent RAVEN_CONTROLLER=build/controller/raven-controller \
#   RAVEN_APISERVER=build/lab/apiserver/raven-apiserver tests/cli/help_test.sh
set -euo pipefail

log() { printf '[help_test] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# check BINARY FLAG...: the FLAGs are among those --help lists.
check() {
  local bin=$1 name out rc help
  shift
  name=$(basename "$bin")
  for help in --help -help -h; do
    rc=0
    "$bin" "$help" >/dev/null 2>&1 || rc=$?
    [[ $rc == 0 ]] || die "$name $help: exit status $rc"
  done
  out=$("$bin" --help)
  head -n1 <<<"$out" | grep -q "Usage: $name " || die "$name --help: no usage line: $(head -n1 <<<"$out")"
  for flag in "$@"; do
    grep -q -- "^  --$flag (default " <<<"$out" || die "$name --help does not list --$flag"
  done
  # Every flag line is followed by its meaning.
  awk '/^  --/ { if (flag) exit 1; flag = 1; next } flag && !/^      [^ ]/ { exit 1 } { flag = 0 }' \
    <<<"$out" || die "$name --help: a flag without a meaning"
  local listed helpfull full
  listed=$(sed -n 's/^  --\([a-z0-9-]*\) (default .*/\1/p' <<<"$out" | sort)
  helpfull=$("$bin" --helpfull) || true  # Abseil's own help exits 1
  full=$(awk '/^  Flags from .*\/main\.cc:$/ { on = 1; next } /^  Flags from / { on = 0 }
      on && /^    --/ { sub(/^    --/, ""); sub(/ .*/, ""); gsub(/_/, "-"); print }' <<<"$helpfull" | sort)
  [[ -n $full ]] || die "$name --helpfull lists no flags of main.cc"
  [[ $listed == "$full" ]] ||
    die "$name --help lists $(tr '\n' ' ' <<<"$listed"), main.cc defines $(tr '\n' ' ' <<<"$full")"
  rc=0
  "$bin" --no-such-flag >/dev/null 2>&1 || rc=$?
  [[ $rc != 0 ]] || die "$name accepted --no-such-flag"
  log "$name: $(wc -l <<<"$listed") flags"
}

check "${RAVEN_AGENT:?}" node-name node-ip metrics-address health-address metrics-tls-cert \
  metrics-tls-key
grep -q -- '--metrics-address (default ":10273")' <<<"$("$RAVEN_AGENT" --help)" ||
  die "raven-agent: the --metrics-address default is not the node IP's :10273"
# A tunnel mark with kube-proxy's masquerade bit (the old default 0x5256 had it)
# is refused before anything is touched.
rc=0
err=$("$RAVEN_AGENT" --node-name=n --node-ip=192.0.2.1 --tunnel-mark=0x5256 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 && $err == *"--tunnel-mark must be nonzero and leave 0xc000 clear"* ]] ||
  die "raven-agent --tunnel-mark=0x5256: exit $rc, '$err'"
# Echoes whose silence threshold is under two intervals would fail over on one lost echo.
rc=0
err=$("$RAVEN_AGENT" --node-name=n --node-ip=192.0.2.1 --echo-interval-ms=200 \
  --echo-silent-after-ms=300 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 && $err == *"--echo-silent-after-ms at least twice it"* ]] ||
  die "raven-agent --echo-silent-after-ms=300 with --echo-interval-ms=200: exit $rc, '$err'"
check "${RAVEN_CONTROLLER:?}" kubeconfig metrics-address health-address metrics-tls-cert
check "${RAVEN_APISERVER:?}" bind port tls-cert token-file
log "ok"
