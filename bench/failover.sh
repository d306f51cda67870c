#!/bin/bash
# Failover figures on the lab, as a user sees them: RUNS failovers (default
# 10), rotating over the three pools. Each stops the active gateway of a pool
# (agent killed, its link down) while the pod of the node that takes over
# pings (`ping -D -i 0.05`) a pod of another pool, then brings the stopped node
# back (link, agent) for the next round. Per run: the longest time between two
# replies, the largest delay of any reply, the echoes lost; then the median
# and max of the first two.
# --replicas 2 runs the lab with a standby per pool (lab.sh --replicas); the
# nodes then fail over from the data path (liveness echoes). --compare (with
# --replicas 2) alternates the runs between that and the Lease alone (the
# agents restarted with --echo-interval-ms=0, the controller's failover
# only) and prints both and the ratio of their medians. --api-stopped stops
# the API server (SIGSTOP) before each failover and resumes it after the
# ping: the data path alone fails over. Brings the lab up (binaries of
# build/) and down.
#
#   bench/failover.sh [RUNS] [--replicas 1|2] [--compare] [--api-stopped] [--save]
#       (as root, after ninja -C build; $RAVEN_AGENT, $RAVEN_CONTROLLER,
#       $RAVEN_APISERVER pick other binaries)
set -eo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=10 save=0 replicas=1 compare=0 api_stopped=0
while (( $# )); do
  case $1 in
    --save) save=1 ;;
    --compare) compare=1 ;;
    --api-stopped) api_stopped=1 ;;
    --replicas) replicas=${2:?}; shift ;;
    [0-9]*) runs=$1 ;;
    *) echo "usage: $0 [RUNS] [--replicas 1|2] [--compare] [--api-stopped] [--save]" >&2; exit 2 ;;
  esac
  shift
done
(( ! compare || replicas == 2 )) || { echo "--compare needs --replicas 2" >&2; exit 2; }
(( ! api_stopped || (replicas == 2 && ! compare) )) ||
  { echo "--api-stopped needs --replicas 2, without --compare" >&2; exit 2; }
# shellcheck source=lab_bench.sh
source "$root/bench/lab_bench.sh"
lab_bench_up failover-bench --replicas "$replicas"
util=("$PYTHON" "$root/tests/e2e/e2e_util.py")
declare -A target=([gw-edge-a]=b2p1 [gw-edge-b]=c2p1 [gw-cloud]=a2p1)
pools=(gw-edge-a gw-edge-b gw-cloud)
healthy() { [[ $(agent_health "$1" 2>/dev/null) == ok ]]; }
is_active() { [[ $(active_endpoint "$1") == "$2" ]]; }
declare -A gaps=() delays=()
report=$out/report.txt
mode="echo"
(( ! api_stopped )) || echo "the API server stopped (SIGSTOP) during each failover" | tee -a "$report"
# use_mode MODE: every agent restarted with (echo) or without (lease) liveness echoes.
use_mode() {
  local node
  [[ $1 != "$mode" ]] || return 0
  mode=$1
  # shellcheck disable=SC2004 # an associative array
  for node in "${NODE_ORDER[@]}"; do
    NODE_AGENT_ARGS[$node]=${NODE_AGENT_ARGS[$node]//--echo-interval-ms=0/}
    [[ $mode == echo ]] || NODE_AGENT_ARGS[$node]+=" --echo-interval-ms=0"
  done
  stop_agents TERM "${NODE_ORDER[@]}"
  for node in "${NODE_ORDER[@]}"; do start_agent "$node"; done
  for node in "${NODE_ORDER[@]}"; do wait_for 20 "$node healthy" healthy "$node"; done
}
for (( i = 0; i < runs; i++ )); do
  (( ! compare )) || use_mode "$( (( i % 2 )) && echo lease || echo echo)"
  gw=${pools[i % 3]}
  old=$(active_endpoint "$gw")
  new=${old:0:1}$(( 3 - ${old:1} ))
  to=${target[$gw]}
  nq "${new}p0" ping -D -i 0.05 -c 120 -W 1 "${ip[$to]}" >"$out/ping.txt" 2>&1 &
  ping_pid=$!
  wait_for 5 "replies" grep -q icmp_seq "$out/ping.txt"
  (( ! api_stopped )) || kill -STOP "${DAEMON_PID[apiserver]}"
  kill -9 "${AGENT_PID[$old]}"
  wait "${AGENT_PID[$old]}" 2>/dev/null || true  # reaped here, where it says nothing
  unset "AGENT_PID[$old]"
  ip -n "$(ns "$old")" link set "$([[ $old == c* ]] && echo ul0 || echo lan0)" down
  wait "$ping_pid" || true
  if (( api_stopped )); then
    kill -CONT "${DAEMON_PID[apiserver]}"
    wait_for 20 "the controller names $new" is_active "$gw" "$new"
  fi
  read -r gap delay lost < <("${util[@]}" pinggap "$out/ping.txt" 0.05)
  printf 'run %2d  %-5s %-9s %s -> %s  longest gap %5.2f s  largest delay %5.3f s  lost %d\n' \
    "$i" "$mode" "$gw" "$old" "$new" "$gap" "$delay" "$lost" | tee -a "$report"
  gaps[$mode]+=" $gap" delays[$mode]+=" $delay"
  relink "$old"
  start_agent "$old"
  wait_for 20 "$old healthy" healthy "$old"
  # The ping's target may sit behind a node that was stopped earlier: it is back.
  wait_for 20 "$to answers ${new}p0 again" ping_ok "${new}p0" "${ip[$to]}"
done
python3 - "${gaps[echo]}" "${delays[echo]}" "${gaps[lease]}" "${delays[lease]}" <<'PY' | tee -a "$report"
import statistics, sys
medians = {}
for mode, gaps, delays in (("echo", sys.argv[1], sys.argv[2]), ("lease", sys.argv[3], sys.argv[4])):
    for name, values in (("longest gap", gaps), ("largest delay", delays)):
        if not values.split():
            continue
        v = sorted(float(x) for x in values.split())
        medians[(mode, name)] = statistics.median(v)
        print("%-5s %-13s median %.3f s, min %.3f s, max %.3f s over %d runs"
              % (mode, name, statistics.median(v), v[0], v[-1], len(v)))
if ("lease", "longest gap") in medians and ("echo", "longest gap") in medians:
    print("longest gap, median: Lease alone / data path = %.1f"
          % (medians[("lease", "longest gap")] / medians[("echo", "longest gap")]))
PY
if (( save )); then
  mkdir -p "$root/bench/results"
  f=$root/bench/results/failover-$(date -u +%Y%m%dT%H%M%SZ).txt
  { echo "# bench/failover.sh $runs at $(git -C "$root" rev-parse --short HEAD), $(date -u)"; cat "$report"; } >"$f"
  echo "saved $f"
fi
