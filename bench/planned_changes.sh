#!/bin/bash
# Planned path changes under TCP, as issue 13 asks: the lab with a standby per
# pool (--replicas 2); for SECONDS (default 60) three TCP connections cross
# between the cloud and edge-b while edge-b's active gateway is drained
# (kubectl annotate node X raven.openyurt.io/drain=true, then removed) CHANGES
# times (default 10; 0 for a baseline), evenly spaced:
#   bulk cloud -> edge-b   a stream (MBITS Mbit/s, default 20: well below what
#                          wireguard-go carries on 2 cores, whose own drops
#                          would hide the changes') from the cloud gateway's pod to b1p0
#   bulk edge-b -> cloud   the same from b1p1 to the cloud gateway's other pod
#   echo                   a numbered line every 50 ms, each echoed back
#                          (tests/e2e/e2e_util.py tcpecho), cloud standby -> b2p1
# Per connection: whether it survived (no reset), retransmission timeouts
# (TcpExtTCPTimeouts of the sender's namespace) and retransmitted segments;
# for the streams the median and lowest throughput over 0.5 s (the dip), for
# the echo the longest stall. Brings the lab up (binaries of build/) and down.
#
#   bench/planned_changes.sh [SECONDS] [CHANGES] [MBITS]   (as root, after ninja -C build;
#       $RAVEN_AGENT, $RAVEN_CONTROLLER, $RAVEN_APISERVER pick other binaries)
set -eo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60} changes=${2:-10} mbits=${3:-20}
if [[ ! $seconds =~ ^[0-9]+$ || ! $changes =~ ^[0-9]+$ || ! $mbits =~ ^[0-9]+$ ]] ||
  (( seconds < 10 || mbits < 1 )); then
  echo "usage: $0 [SECONDS (>= 10)] [CHANGES] [MBITS (>= 1)]" >&2
  exit 2
fi
# shellcheck source=lab_bench.sh
source "$root/bench/lab_bench.sh"
lab_bench_up planned-changes --replicas 2
stream=("$PYTHON" "$root/bench/tcp_stream.py")
echo_tool=("$PYTHON" "$root/tests/e2e/e2e_util.py" tcpecho)
is_active() { [[ $(active_endpoint "$1") == "$2" ]]; }
# timeouts NODE_OR_POD: "RTOS RETRANSMITTED_SEGMENTS" of its namespace.
timeouts() {
  nq "$1" nstat -asz TcpExtTCPTimeouts TcpRetransSegs |
    awk '$1 == "TcpExtTCPTimeouts" { t = $2 } $1 == "TcpRetransSegs" { r = $2 } END { print t + 0, r + 0 }'
}

cloud=$(active_endpoint gw-cloud)
standby=${cloud:0:1}$(( 3 - ${cloud:1} ))
# name SENDER RECEIVER PORT
flows=("bulk-to-edge ${cloud}p0 b1p0 5101" "bulk-to-cloud b1p1 ${cloud}p1 5102" "echo ${standby}p0 b2p1 5103")
declare -A before=() pid=() serve_pid=()
for f in "${flows[@]}"; do
  read -r name from to port <<<"$f"
  if [[ $name == echo ]]; then
    nq "$to" "${echo_tool[@]}" serve "${ip[$to]}" "$port" $(( seconds + 20 )) >"$out/$name.serve" 2>&1 &
  else
    nq "$to" "${stream[@]}" serve "${ip[$to]}" "$port" $(( seconds + 20 )) >"$out/$name.serve" 2>&1 &
  fi
  serve_pid[$name]=$!
  wait_for 5 "$to listens on $port" bash -c "ip netns exec $(ns "$to") ss -Hltn 'sport = :$port' | grep -q ."
  before[$name]=$(timeouts "$from")
done
for f in "${flows[@]}"; do
  read -r name from to port <<<"$f"
  if [[ $name == echo ]]; then
    nq "$from" "${echo_tool[@]}" send "${ip[$to]}" "$port" "$seconds" >"$out/$name.send" 2>&1 &
  else
    nq "$from" "${stream[@]}" send "${ip[$to]}" "$port" "$seconds" "$mbits" >"$out/$name.send" 2>&1 &
  fi
  pid[$name]=$!
done
start=$EPOCHREALTIME
for (( i = 1; i <= changes; i++ )); do
  # Evenly spaced in the run, the first after one interval.
  at=$(python3 -c "print($start + $i * $seconds / ($changes + 1))")
  sleep "$(python3 -c "import time; print(max(0, $at - time.time()))")"
  old=$(active_endpoint gw-edge-b)
  new=b$(( 3 - ${old:1} ))
  kc annotate node "$old" raven.openyurt.io/drain=true >/dev/null
  wait_for 10 "gw-edge-b elects $new" is_active gw-edge-b "$new"
  kc annotate node "$old" raven.openyurt.io/drain- >/dev/null
  printf 'change %2d at %5.1f s: %s -> %s\n' "$i" "$(python3 -c "print($EPOCHREALTIME - $start)")" "$old" "$new"
done
for f in "${flows[@]}"; do
  read -r name from to port <<<"$f"
  status=survived
  wait "${pid[$name]}" || status="FAILED: $(tail -n 1 "$out/$name.send")"
  wait "${serve_pid[$name]}" || true
  read -r t0 r0 <<<"${before[$name]}"
  read -r t1 r1 <<<"$(timeouts "$from")"
  printf '%-13s %s -> %s  %s; retransmission timeouts %d, retransmitted segments %d' \
    "$name" "$from" "$to" "$status" $(( t1 - t0 )) $(( r1 - r0 ))
  if [[ $name == echo ]]; then
    printf '; %s\n' "$(cat "$out/$name.send")"
  else
    python3 - "$(cat "$out/$name.serve")" <<'PY'
import statistics, sys
values = [int(v) for v in sys.argv[1].split(":", 1)[1].split()][1:-1]  # whole intervals only
rates = sorted(v * 8 / 0.5 / 1e6 for v in values)
print("; throughput per 0.5 s: median %.0f Mbit/s, lowest %.0f Mbit/s (%.0f%%)"
      % (statistics.median(rates), rates[0], 100 * rates[0] / statistics.median(rates)))
PY
  fi
done
