#!/bin/bash
# Detours under alternating degradation (issue 13's triangle): the lab with
# `--nat-a forward --nat-b forward`, where edge-a and edge-b reach each other
# directly through port forwards and can detour through gw-cloud's relay
# (daemon/failover/path_choice.h). For MINUTES (default 10) the edge-a <->
# edge-b link is degraded for PERIOD seconds (default 15), then restored for
# PERIOD, in turn:
#   strong   100 ms each way, 20% loss, cut (100% loss): each must move the
#            pair onto the detour and back once (two path changes);
#   mild     1 ms each way, 1% loss: must move nothing (the pair moves for
#            10% and 5 ms, and its loss counts at its 95% lower bound).
# Meanwhile pod a2p0 pings b2p0 every 100 ms. Prints per strong degradation
# the time until both edge gateways detour and until both are direct again
# after the restore, then their median and max, the path changes each edge
# gateway counted against twice the strong degradations, and the ping's
# longest gap between two replies and largest reply delay over the run.
#
#   bench/triangle.sh [MINUTES] [PERIOD]   (as root, after ninja -C build)
set -eo pipefail
minutes=${1:-10} period=${2:-15}
if [[ ! $minutes =~ ^[0-9]+$ || ! $period =~ ^[0-9]+$ ]] || (( minutes < 1 || period < 10 )); then
  echo "usage: $0 [MINUTES (>= 1)] [PERIOD (s, >= 10)]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lab_bench.sh
source "$root/bench/lab_bench.sh"
lab_bench_up triangle --nat-a forward --nat-b forward
util=("$PYTHON" "$root/tests/e2e/e2e_util.py")
gw_a=$(active_endpoint gw-edge-a) gw_b=$(active_endpoint gw-edge-b)
other_edge() { if [[ $1 == "$gw_a" ]]; then echo gw-edge-b; else echo gw-edge-a; fi; }
path_is() { [[ $(metric "$1" "raven_agent_peer_path{gateway=\"$(other_edge "$1")\",path=\"$2\",via=\"$3\"}") == 1 ]]; }
both_direct() { path_is "$gw_a" direct "" && path_is "$gw_b" direct ""; }
both_detoured() { path_is "$gw_a" relay gw-cloud && path_is "$gw_b" relay gw-cloud; }
# changes NODE: its path changes to the other edge (none counted yet: 0; a
# scrape that fails under load is retried).
changes() {
  local page try
  for try in 1 2 3 4 5; do
    page=$(nq "$1" curl -sS -m 2 "http://${NODE_IP[$1]}:10273/metrics") || continue
    awk -v m="raven_agent_path_changes_total{gateway=\"$(other_edge "$1")\"}" \
      '$1 == m { v = $2 } END { print v + 0 }' <<<"$page"
    return
  done
  echo "scraping $1's metrics failed $try times" >&2
  exit 1
}
stats() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "median %.2f s, max %.2f s (%d)", v[int((NR + 1) / 2)], v[NR], NR }'; }

# took SECONDS CMD...: polls CMD every 0.1 s for at most SECONDS; prints the
# seconds it took, or "-" when it never held.
took() {
  local limit=$1 t0
  shift
  t0=$(now_us)
  until "$@" >/dev/null 2>&1; do
    (( $(ms_since "$t0") < limit * 1000 )) || { echo -; return; }
    sleep 0.1
  done
  awk -v ms="$(ms_since "$t0")" 'BEGIN { printf "%.2f\n", ms / 1000 }'
}
# rest: sleeps out the rest of the period begun at $t0.
rest() { local left=$(( period * 1000 - $(ms_since "$t0") )); (( left <= 0 )) || sleep "$(( left / 1000 )).$(( left % 1000 / 100 ))"; }

wait_for 20 "edge-a <-> edge-b direct" both_direct
declare -A start=([a]=$(changes "$gw_a") [b]=$(changes "$gw_b"))
degradations=("--delay 100" "--delay 1" "--loss 20" "--loss 1" "--loss 100")
count=$(( minutes * 60 * 10 ))
nq a2p0 ping -D -i 0.1 -c "$count" -W 1 "${ip[b2p0]}" >"$out/ping.txt" 2>&1 &
ping_pid=$!
end=$(( $(date +%s) + minutes * 60 ))
strong=0 mild=0 i=0
: >"$out/moves"
: >"$out/backs"
# moved_since A B: the path changes at both edge gateways since A and B.
moved_since() { echo "$(( $(changes "$gw_a") - $1 ))+$(( $(changes "$gw_b") - $2 ))"; }
while (( $(date +%s) + 2 * period <= end )); do
  read -ra d <<<"${degradations[i++ % ${#degradations[@]}]}"
  ca=$(changes "$gw_a") cb=$(changes "$gw_b")
  "$root/lab/lab.sh" degrade a b "${d[@]}" >/dev/null
  t0=$(now_us)
  if [[ ${d[*]} == "--delay 1" || ${d[*]} == "--loss 1" ]]; then
    mild=$(( mild + 1 ))
    rest
    "$root/lab/lab.sh" restore >/dev/null
    t0=$(now_us)
    rest
    echo "mild (${d[*]}): path changes $(moved_since "$ca" "$cb") (want 0+0)"
    continue
  fi
  strong=$(( strong + 1 ))
  moved=$(took "$period" both_detoured)
  rest
  "$root/lab/lab.sh" restore >/dev/null
  t0=$(now_us)
  back=$(took "$period" both_direct)
  [[ $moved == - ]] || echo "$moved" >>"$out/moves"
  [[ $back == - ]] || echo "$back" >>"$out/backs"
  rest
  echo "strong (${d[*]}): detour after $moved s, direct again $back s after the restore;" \
    "path changes $(moved_since "$ca" "$cb") (want 2+2)"
done
kill "$ping_pid" 2>/dev/null || true
wait "$ping_pid" 2>/dev/null || true
read -r gap delay lost < <("${util[@]}" pinggap "$out/ping.txt" 0.1)
echo "degradations: $strong strong, $mild mild over $minutes min (period $period s)"
echo "to the detour: $(stats <"$out/moves"); back after the restore: $(stats <"$out/backs")"
for e in a b; do
  node=$([[ $e == a ]] && echo "$gw_a" || echo "$gw_b")
  echo "path changes at $node: $(( $(changes "$node") - start[$e] )) (expected $(( 2 * strong )))"
done
echo "ping a2p0 -> b2p0 every 100 ms: longest gap $gap s, largest delay $delay s, lost $lost"
