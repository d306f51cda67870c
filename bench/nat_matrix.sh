#!/bin/bash
# NAT traversal figures on the lab, for every unordered pair of the edge
# sites' NAT kinds (lab/nat.sh; default forward eim eim-apdf edm double). Per
# pair, a lab with --nat-a KIND1 --nat-b KIND2, and:
#   - the path edge-a <-> edge-b takes: direct or relay (raven_agent_peer_path
#     of edge-a's active gateway), against what the NAT kinds allow: direct
#     when a site forwards its port, or by hole punching when both NATs map
#     endpoint-independently or one of them also filters so (eim); relay for
#     edm with anything but eim and forward (that would take port guessing);
#   - reachability between the two edge pools, both ways, IPv4 and IPv6
#     (a2p0 <-> b2p0, a1p1 <-> b1p1: 8 pings);
#   - the time from the later start of the two edge gateways' agents (the
#     first line of their logs) to the first reply of a ping stream
#     a2p0 -> b2p0 (every 20 ms) that runs from before the agents start: the
#     election, the first registrations and the first handshake included;
#   - for pairs that punch through, the time from the same start to the
#     later of the two gateways' "direct path to Gateway" log lines.
# --throughput: then, in one lab with --nat-a eim --nat-b edm, TCP bulk
# transfers (socat, 64 MiB) a2p0 -> b2p0 on the punched direct path and,
# with the direct path cut at edge-a's router, through the NAT relay,
# alternating, RUNS each (default 5): medians with min and max, and the ratio.
#
#   bench/nat_matrix.sh [KIND...] [--throughput [RUNS]] [--save]   (as root, after
#       ninja -C build; $RAVEN_AGENT, $RAVEN_CONTROLLER, $RAVEN_APISERVER pick other binaries)
set -eo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kinds=() throughput=0 runs=5 save=0
while (( $# )); do
  case $1 in
    --save) save=1 ;;
    --throughput) throughput=1; if [[ $2 =~ ^[0-9]+$ ]]; then runs=$2; shift; fi ;;
    forward|eim|eim-apdf|edm|double) kinds+=("$1") ;;
    *) echo "usage: $0 [KIND...] [--throughput [RUNS]] [--save]" >&2; exit 2 ;;
  esac
  shift
done
(( ${#kinds[@]} )) || kinds=(forward eim eim-apdf edm double)
export RAVEN_AGENT=${RAVEN_AGENT:-$root/build/daemon/raven-agent}
export RAVEN_APISERVER=${RAVEN_APISERVER:-$root/build/lab/apiserver/raven-apiserver}
export RAVEN_CONTROLLER=${RAVEN_CONTROLLER:-$root/build/controller/raven-controller}
# shellcheck source=../lab/lab.sh
source "$root/lab/lab.sh"
out=$(mktemp -d /tmp/nat-matrix-bench.XXXXXX)
exec 3>>"$out/lab.log"
trap '"$root/lab/lab.sh" down >/dev/null 2>&1; rm -rf "$out"' EXIT
report=$out/report.txt
# The pods' addresses (lab.sh: <node>p0 is .2 / ::2, p1 .3 / ::3 of the node's pod CIDR).
B2P0=100.64.32.2 B2P0_6=fd64:32::2 A2P0=100.64.22.2 A2P0_6=fd64:22::2
B1P1=100.64.31.3 B1P1_6=fd64:31::3 A1P1=100.64.21.3 A1P1_6=fd64:21::3

# log_start NODE: the epoch time (s) of the first line of the node's agent log.
log_start() {
  head -n 1 "$LOG_DIR/$1.log" | "$PYTHON" -c '
import datetime, sys
stamp = sys.stdin.read().split()[0]
print(datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc).timestamp())'
}
# log_time NODE PATTERN: the epoch time (s) of the first line of the node's agent log with PATTERN.
log_time() {
  { grep -m1 -F "$2" "$LOG_DIR/$1.log" || true; } | "$PYTHON" -c '
import datetime, sys
line = sys.stdin.read().split()
print(datetime.datetime.strptime(line[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc).timestamp() if line else "")'
}
# expected KIND_A KIND_B: the path the two NAT kinds allow.
expected() {
  local one=$1 two=$2
  if [[ $one == forward || $two == forward || $one == eim || $two == eim ]]; then echo direct
  elif [[ $one == edm || $two == edm ]]; then echo relay
  else echo direct; fi
}
pod_routed() { [[ -n $(ip -n rvlab-a2p0 route show default 2>/dev/null) ]]; }

# measure KIND_A KIND_B: one line of the matrix.
measure() {
  local ka=$1 kb=$2 pinger gw_a gw_b path answered=0 t_start t_reply t_direct first i want
  "$root/lab/lab.sh" up --no-install --no-build --nat-a "$ka" --nat-b "$kb" >"$out/up.txt" 2>&1 &
  local up=$!
  # The pinger starts once a2p0 has its route (the lab is being built; the agents start later).
  for (( i = 0; i < 600 && ! $(pod_routed && echo 1 || echo 0); i++ )); do sleep 0.05; done
  ip netns exec rvlab-a2p0 ping -D -i 0.02 -w 40 -W 1 "$B2P0" >"$out/first.txt" 2>&1 &
  pinger=$!
  wait "$up" || { cat "$out/up.txt"; exit 1; }
  lab_plan
  first=$(grep -m1 'bytes from' "$out/first.txt" | sed -E 's/^\[([0-9.]+)\].*/\1/') || true
  kill "$pinger" 2>/dev/null; wait "$pinger" 2>/dev/null || true
  gw_a=$(active_endpoint gw-edge-a) gw_b=$(active_endpoint gw-edge-b)
  t_start=$("$PYTHON" -c "print(max($(log_start "$gw_a"), $(log_start "$gw_b")))")
  if [[ -n $first ]]; then
    t_reply=$("$PYTHON" -c "print('%.2f' % ($first - $t_start))")
  else
    t_reply=none
  fi
  want=$(expected "$ka" "$kb")
  # A punched path may come a moment after the lab is up.
  for (( i = 0; i < 40; i++ )); do
    [[ $want == relay || $(metric "$gw_a" "raven_agent_peer_path{gateway=\"gw-edge-b\",path=\"direct\",via=\"\"}") == 1 ]] && break
    sleep 0.1
  done
  t_direct=-
  if [[ $ka != forward && $kb != forward ]]; then
    local da db
    da=$(log_time "$gw_a" "direct path to Gateway gw-edge-b") db=$(log_time "$gw_b" "direct path to Gateway gw-edge-a")
    [[ -z $da || -z $db ]] || t_direct=$("$PYTHON" -c "print('%.2f' % (max($da, $db) - $t_start))")
  fi
  path=none
  if [[ $(metric "$gw_a" "raven_agent_peer_path{gateway=\"gw-edge-b\",path=\"direct\",via=\"\"}") == 1 ]]; then
    path=direct
  elif [[ $(metric "$gw_a" "raven_agent_peer_path{gateway=\"gw-edge-b\",path=\"relay\",via=\"gw-cloud\"}") == 1 ]]; then
    path="relay (gw-cloud)"
  fi
  for p in a2p0:$B2P0 a2p0:$B2P0_6 b2p0:$A2P0 b2p0:$A2P0_6 a1p1:$B1P1 a1p1:$B1P1_6 b1p1:$A1P1 b1p1:$A1P1_6; do
    ip netns exec "rvlab-${p%%:*}" ping -c 1 -W 2 "${p#*:}" >/dev/null 2>&1 && answered=$(( answered + 1 ))
  done
  printf '%-9s %-9s  %-6s  %-17s  %d/8      %-6s s   %s s\n' "$ka" "$kb" "$want" "$path" "$answered" \
    "$t_reply" "$t_direct" | tee -a "$report"
}

printf '%-9s %-9s  %-6s  %-17s  %-8s %s\n' edge-a edge-b allows path answered \
  "first reply / direct path, after both agents started" | tee "$report"
for (( k = 0; k < ${#kinds[@]}; k++ )); do
  for (( j = k; j < ${#kinds[@]}; j++ )); do
    measure "${kinds[k]}" "${kinds[j]}"
    "$root/lab/lab.sh" down >/dev/null 2>&1
  done
done

if (( throughput )); then
  "$root/lab/lab.sh" up --no-install --no-build --nat-a eim --nat-b edm >"$out/up.txt" 2>&1 || { cat "$out/up.txt"; exit 1; }
  # bulk TO_POD ADDR: seconds to send 64 MiB from a2p0 to ADDR:5201 (TO_POD receives).
  bulk() {
    ip netns exec "rvlab-$1" timeout 60 socat -u TCP4-LISTEN:5201,reuseaddr OPEN:/dev/null &
    local rx=$! t0 i
    for (( i = 0; i < 100; i++ )); do
      [[ -n $(ip netns exec "rvlab-$1" ss -Hltn 'sport = :5201') ]] && break
      sleep 0.02
    done
    t0=$EPOCHREALTIME
    head -c $(( 64 << 20 )) /dev/zero | ip netns exec rvlab-a2p0 timeout 60 socat -u - "TCP4:$2:5201"
    wait "$rx"
    "$PYTHON" -c "print('%.1f' % (64 * 8 / ($EPOCHREALTIME - $t0)))"
  }
  gw_a=$(active_endpoint gw-edge-a)
  # on_path PATH: edge-a's gateway sends to edge-b on PATH (direct or relay).
  on_path() {
    local i via=""
    [[ $1 != relay ]] || via="gw-cloud"
    for (( i = 0; i < 100; i++ )); do
      [[ $(metric "$gw_a" "raven_agent_peer_path{gateway=\"gw-edge-b\",path=\"$1\",via=\"$via\"}") == 1 ]] && return 0
      sleep 0.1
    done
    echo "edge-a's gateway never went $1" >&2
    exit 1
  }
  relayed=() direct=()
  for (( r = 0; r < runs; r++ )); do
    on_path direct
    direct+=("$(bulk b2p0 "$B2P0")")
    nq nat-a nft -f - <<EOF
table ip bench_cut { chain forward { type filter hook forward priority -10; policy accept;
  ip daddr ${SITE_WAN[b]} drop; ip saddr ${SITE_WAN[b]} drop; }; }
EOF
    on_path relay
    relayed+=("$(bulk b2p0 "$B2P0")")
    nq nat-a nft delete table ip bench_cut
  done
  "$PYTHON" - "${relayed[*]}" "${direct[*]}" <<'EOF' | tee -a "$report"
import statistics, sys
relay, direct = ([float(x) for x in a.split()] for a in sys.argv[1:3])
for name, v in (("through the relay (a2p0 -> b2p0)", relay), ("punched direct (a2p0 -> b2p0)", direct)):
    print("TCP %-34s median %6.1f Mbit/s (min %.1f, max %.1f; %d runs)" % (
        name, statistics.median(v), min(v), max(v), len(v)))
print("relay / direct: %.2f" % (statistics.median(relay) / statistics.median(direct)))
EOF
fi

if (( save )); then
  mkdir -p "$root/bench/results"
  cp "$report" "$root/bench/results/nat_matrix-$(date -u +%Y%m%dT%H%M%SZ).txt"
fi
