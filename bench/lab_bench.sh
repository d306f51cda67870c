# shellcheck shell=bash
# The start of a bench on the lab (sourced, after `set -eo pipefail`): the
# binaries under test (build/'s, or $RAVEN_AGENT, $RAVEN_CONTROLLER,
# $RAVEN_APISERVER), lab/lab.sh's functions, and
#   lab_bench_up NAME UP_OPTION...   a scratch directory $out (lab.sh's log
#                                    in $out/lab.log), the lab up with the
#                                    options, its plan and agents loaded, the
#                                    pods' IPv4 addresses in ip[]; an EXIT
#                                    trap resumes a stopped API server, takes
#                                    the lab down (RAVEN_BENCH_KEEP=1 leaves
#                                    it up, with its logs) and removes $out.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RAVEN_AGENT=${RAVEN_AGENT:-$root/build/daemon/raven-agent}
export RAVEN_APISERVER=${RAVEN_APISERVER:-$root/build/lab/apiserver/raven-apiserver}
export RAVEN_CONTROLLER=${RAVEN_CONTROLLER:-$root/build/controller/raven-controller}
# shellcheck source=../lab/lab.sh
source "$root/lab/lab.sh"
declare -A ip=()

# shellcheck disable=SC2034 # ip and NODE_ORDER: for the bench that sources this
lab_bench_up() {
  out=$(mktemp -d "/tmp/$1.XXXXXX")
  shift
  exec 3>>"$out/lab.log"
  trap '[[ -z ${DAEMON_PID[apiserver]} ]] || kill -CONT "${DAEMON_PID[apiserver]}" 2>/dev/null
    [[ -n $RAVEN_BENCH_KEEP ]] || "$root/lab/lab.sh" down >/dev/null 2>&1; rm -rf "$out"' EXIT
  "$root/lab/lab.sh" up --no-install --no-build "$@" >"$out/up.txt" 2>&1 ||
    { cat "$out/up.txt"; exit 1; }
  lab_plan
  NODE_ORDER=("${LAB_NODES[@]}")
  find_agents
  local pod v4
  while read -r _ pod _ _ v4 _; do ip[$pod]=$v4; done <"$RUN_DIR/pods"
}
