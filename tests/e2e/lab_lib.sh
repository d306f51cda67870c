# shellcheck shell=bash
# The harness of the end-to-end tests that run on the lab (lab/lab.sh): the
# preconditions, `lab.sh up` (no install, no build: the binaries of the build
# under test), the lab's plan, agents and pods loaded into the topology
# helpers, and an EXIT trap that prints diagnostics on failure and takes the
# lab down. Sourced, after `set -eo pipefail`, by a test that then calls
# lab_test_up.
#
# Skips (77) when not root, when a tool is missing or when a lab is already
# up (it is not ours to remove).
PATH=$PATH:/usr/sbin:/sbin
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$REPO_DIR/lab/lab.sh

if (( EUID != 0 )); then echo "SKIP: needs root"; exit 77; fi
for tool in ip nft wg wireguard-go bpftool python3 ping curl tc; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
if ip netns list | grep -q '^rvlab-' || [[ -d /run/raven-lab ]]; then
  echo "SKIP: a lab is already up (scripts/lab.sh down removes it)"
  exit 77
fi
export RAVEN_AGENT=${RAVEN_AGENT:-$REPO_DIR/build/daemon/raven-agent}
export RAVEN_APISERVER=${RAVEN_APISERVER:-$REPO_DIR/build/lab/apiserver/raven-apiserver}
export RAVEN_CONTROLLER=${RAVEN_CONTROLLER:-$REPO_DIR/build/controller/raven-controller}

# shellcheck source=../../lab/lab.sh
source "$LAB"
exec 3>&1
E2E_UTIL=("$PYTHON" "$REPO_DIR/tests/e2e/e2e_util.py")
OUT=$(mktemp -d "/tmp/$(basename "$0" .sh).XXXXXX")
BG=()
result() { printf 'RESULT %s\n' "$*"; }

lab_test_finish() {
  local rc=$?
  trap - EXIT
  set +e
  (( ${#BG[@]} == 0 )) || kill "${BG[@]}" 2>/dev/null
  [[ -z ${DAEMON_PID[apiserver]} ]] || kill -CONT "${DAEMON_PID[apiserver]}" 2>/dev/null
  if (( rc != 0 )); then
    grep -A 8 -e '---- diagnostics' "$LAB_LOG" 2>/dev/null | head -n 10
    log "---- controller log (last 30 lines)"
    tail -n 30 "$LOG_DIR/controller.log"
    for f in "$LOG_DIR"/[a-z][0-9].log; do echo "== $f"; tail -n 12 "$f"; done
  fi
  "$LAB" down >/dev/null 2>&1
  rm -rf "$OUT"
  if (( rc == 0 )); then log "PASS: $(basename "$0")"; else log "FAIL: $(basename "$0") (exit $rc)"; fi
  exit "$rc"
}

# lab_test_up [UP_OPTION...]: the lab (`lab.sh up` with the options), with
# AGENT_PID, DAEMON_PID, POD_IP4/6 and the plan loaded.
lab_test_up() {
  trap lab_test_finish EXIT
  log "== scripts/lab.sh up $*"
  "$LAB" up --no-install --no-build "$@" >"$OUT/up.txt" 2>&1 || { cat "$OUT/up.txt"; die "lab up failed"; }
  grep '^lab is up after' "$OUT/up.txt"
  lab_plan
  NODE_ORDER=("${LAB_NODES[@]}")
  find_agents
  local pod v4 v6
  while read -r _ pod _ _ v4 v6; do POD_IP4[$pod]=$v4; POD_IP6[$pod]=$v6; done <"$RUN_DIR/pods"
  [[ ${#AGENT_PID[@]} == 6 && -n ${DAEMON_PID[apiserver]} && -n ${DAEMON_PID[controller]} ]] ||
    die "want 6 agents, the API server and the controller running"
}

# drop_count NODE REASON: the node's BPF drop counter for REASON (see bpf/raven_abi.h);
# 0 when the node has no such counter.
drop_count() {
  local dump
  dump=$(bpftool map dump pinned "$(pinned "$1" raven_drops_v2)" -j 2>/dev/null) || dump='[]'
  "${UTIL[@]}" drops <<<"$dump" | tr ' ' '\n' |
    awk -F= -v r="$2" '$1 == r { print $2; found = 1 } END { if (!found) print 0 }'
}
