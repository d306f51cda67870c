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
for tool in ip nft conntrack wg wireguard-go bpftool python3 ping curl tc; do
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
# below LIMIT VALUE: VALUE < LIMIT (decimals).
below() { python3 -c "import sys; sys.exit(0 if float('$2') < float('$1') else 1)"; }
is_active() { [[ $(active_endpoint "$1") == "$2" ]]; }
listening() { [[ -n $(nq "$1" ss -Hltn "sport = :$2") ]]; }
# nat_type_is GATEWAY TYPE: the natType of the Gateway's active endpoint in its status.
nat_type_is() {
  [[ $(kc get gateway "$1" -o json | "${UTIL[@]}" jsonpath status.activeEndpoints.0.natType) == "$2" ]]
}

# status_path_is GATEWAY PEER PATH: the Gateway's status.paths says PATH ("Relay/gw-cloud",
# "HolePunched/", "None/") for its active endpoint's path to Gateway PEER.
status_path_is() {
  [[ $(kc get gateway "$1" -o jsonpath="{range .status.paths[?(@.gateway==\"$2\")]}{.path}/{.via}{end}") == "$3" ]]
}

# has_event REASON TEXT: an Event with REASON whose message contains TEXT.
has_event() {
  kc get events -o json | "$PYTHON" -c 'import json, sys
r, t = sys.argv[1:]
sys.exit(not any(e.get("reason") == r and t in e.get("message", "") for e in json.load(sys.stdin)["items"]))' "$1" "$2"
}

# bulk FROM TO PORT MIB NAME: MIB MiB of random bytes over TCP (socat) from pod FROM to
# pod TO's IPv4 address, within 30 s (full-size segments, unlike pings and the echo
# streams); the received bytes' sha256 must match. Prints RESULT NAME.mbit_per_s.
bulk() {
  local from=$1 to=$2 port=$3 mib=$4 name=$5 srv t0 ms
  head -c "$(( mib << 20 ))" /dev/urandom >"$OUT/$name.sent"
  nq "$to" timeout 30 socat -u "TCP4-LISTEN:$port,reuseaddr" "OPEN:$OUT/$name.received,creat,trunc" &
  srv=$!
  BG+=("$srv")
  wait_for 2 "$to listens on $port" listening "$to" "$port"
  t0=$(now_us)
  nq "$from" timeout 30 socat -u "OPEN:$OUT/$name.sent" "TCP4:${POD_IP4[$to]}:$port" ||
    die "$name: $mib MiB $from -> $to did not go through in 30 s"
  wait "$srv" || die "$name: the receiver failed"
  ms=$(( $(ms_since "$t0") + 1 ))
  cmp -s "$OUT/$name.sent" "$OUT/$name.received" || die "$name: received data differs from sent data"
  result "$name.mib=$mib $name.mbit_per_s=$(( mib * 8 * 1048576 / 1000 / ms ))"
}

# under_traffic NAME PORT INTERVAL COMMAND...: COMMAND while a2p0 pings b2p1 (every
# INTERVAL s, for 5 s) and streams TCP to b2p0:PORT (5 s); prints RESULT NAME.*: the
# longest gap between two replies, the largest delay of a reply, echoes lost and the
# stream's longest stall; fails if the stream broke. GAP: the longest gap.
under_traffic() {
  local name=$1 port=$2 interval=$3 tcp_pid ping_pid gap delay lost sent echoed stall
  shift 3
  nq b2p0 "${E2E_UTIL[@]}" tcpecho serve "${POD_IP4[b2p0]}" "$port" 30 &
  BG+=($!)
  wait_for 2 "b2p0 listens on $port" listening b2p0 "$port"
  nq a2p0 "${E2E_UTIL[@]}" tcpecho send "${POD_IP4[b2p0]}" "$port" 5 >"$OUT/$name-tcp.txt" 2>&1 &
  tcp_pid=$!
  nq a2p0 ping -D -i "$interval" -w 5 -W 1 "${POD_IP4[b2p1]}" >"$OUT/$name-ping.txt" 2>&1 &
  ping_pid=$!
  wait_for 3 "a2p0 gets replies from b2p1" grep -q icmp_seq "$OUT/$name-ping.txt"
  "$@"
  wait "$ping_pid" || true
  wait "$tcp_pid" || { cat "$OUT/$name-tcp.txt"; die "$name: the TCP stream did not survive"; }
  read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/$name-ping.txt" "$interval")
  read -r _ sent _ echoed _ stall <"$OUT/$name-tcp.txt"
  result "$name.longest_gap_s=$gap $name.max_delay_s=$delay $name.ping_lost=$lost $name.tcp_longest_stall_s=$stall"
  [[ $sent == "$echoed" && $sent -gt 50 ]] || die "$name: TCP sent $sent, echoed $echoed"
  GAP=$gap
}

# failover_under_traffic GATEWAY OLD NEW FROM PING_TO TCP_TO PORT NAME: while pod FROM
# pings pod PING_TO (every FAILOVER_PING_INTERVAL s, default 0.1) and streams TCP to
# pod TCP_TO:PORT, node OLD (the Gateway's active endpoint) dies: its agent
# killed, its link down; waits (bounded) until NEW is elected. Prints RESULT
# NAME.*: the status switch, the longest time between two replies, the largest
# reply delay, echoes lost and the TCP stream's longest stall; fails if the
# stream broke or the gap, delay or stall exceed FAILOVER_LIMITS ("GAP DELAY
# STALL" in seconds; default the Lease-only failover's bounds, 3.5 1.5 4).
failover_under_traffic() {
  local gw=$1 old=$2 new=$3 from=$4 ping_to=$5 tcp_to=$6 port=$7 name=$8
  local interval=${FAILOVER_PING_INTERVAL:-0.1} max_gap max_delay max_stall
  local tcp_pid ping_pid t_stop switch_ms gap delay lost sent echoed stall
  read -r max_gap max_delay max_stall <<<"${FAILOVER_LIMITS:-3.5 1.5 4}"
  nq "$tcp_to" "${E2E_UTIL[@]}" tcpecho serve "${POD_IP4[$tcp_to]}" "$port" 30 &
  BG+=($!)
  wait_for 2 "$tcp_to listens on $port" listening "$tcp_to" "$port"
  nq "$from" "${E2E_UTIL[@]}" tcpecho send "${POD_IP4[$tcp_to]}" "$port" 9 >"$OUT/tcp.txt" 2>&1 &
  tcp_pid=$!
  nq "$from" ping -D -i "$interval" -w 9 -W 1 "${POD_IP4[$ping_to]}" >"$OUT/failover-ping.txt" 2>&1 &
  ping_pid=$!
  wait_for 3 "$from gets replies from $ping_to" grep -q icmp_seq "$OUT/failover-ping.txt"
  t_stop=$(now_us)
  kill -9 "${AGENT_PID[$old]}"
  unset "AGENT_PID[$old]"
  ipn "$old" link set "${NODE_DEV[$old]}" down
  wait_for 10 "$gw elects $new" is_active "$gw" "$new"
  switch_ms=$(ms_since "$t_stop")
  wait "$ping_pid" || true
  read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/failover-ping.txt" "$interval")
  result "$name.status_switch_ms=$switch_ms $name.longest_gap_s=$gap" \
    "$name.max_delay_s=$delay $name.ping_lost=$lost"
  wait "$tcp_pid" || { cat "$OUT/tcp.txt"; die "$name: the TCP stream did not survive"; }
  read -r _ sent _ echoed _ stall <"$OUT/tcp.txt"
  result "$name.tcp_longest_stall_s=$stall"
  [[ $sent == "$echoed" && $sent -gt 100 ]] || die "$name: TCP sent $sent, echoed $echoed"
  below "$max_gap" "$gap" || die "$name: no reply for ${gap} s, want < $max_gap s"
  below "$max_delay" "$delay" || die "$name: a reply took ${delay} s, want < $max_delay s"
  below "$max_stall" "$stall" || die "$name: the TCP stream stalled ${stall} s, want < $max_stall s"
}

lab_test_finish() {
  local rc=$?
  trap - EXIT
  set +e
  (( ${#BG[@]} == 0 )) || kill "${BG[@]}" 2>/dev/null
  local d
  for d in apiserver controller; do
    [[ -z ${DAEMON_PID[$d]} ]] || kill -CONT "${DAEMON_PID[$d]}" 2>/dev/null
  done
  if (( rc != 0 )); then
    grep -A 8 -e '---- diagnostics' "$LAB_LOG" 2>/dev/null | head -n 10
    log "---- controller log (last 30 lines)"
    tail -n 30 "$LOG_DIR/controller.log"
    # (without UBSan's reports on RapidJSON's own headers, which would fill the tails)
    for f in "$LOG_DIR"/[a-z][0-9].log; do
      echo "== $f"
      grep -v -e 'rapidjson/internal' -e 'SUMMARY: UndefinedBehaviorSanitizer' "$f" | tail -n 12
    done
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
  [[ ${#AGENT_PID[@]} == "${#LAB_NODES[@]}" && -n ${DAEMON_PID[apiserver]} && -n ${DAEMON_PID[controller]} ]] ||
    die "want ${#LAB_NODES[@]} agents, the API server and the controller running"
}

# cut_edge_link / heal_edge_link: edge-a's router drops everything to and
# from edge-b's site / stops dropping it.
cut_edge_link() {
  nq nat-a nft -f - <<EOF
table ip rvtest_cut {
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip daddr ${SITE_WAN[b]} drop
    ip saddr ${SITE_WAN[b]} drop
  }
}
EOF
}
heal_edge_link() { nq nat-a nft delete table ip rvtest_cut; }

# drop_count NODE REASON: the node's BPF drop counter for REASON (see bpf/raven_abi.h);
# 0 when the node has no such counter.
drop_count() {
  local dump
  dump=$(bpftool map dump pinned "$(pinned "$1" raven_drops_v2)" -j 2>/dev/null) || dump='[]'
  "${UTIL[@]}" drops <<<"$dump" | tr ' ' '\n' |
    awk -F= -v r="$2" '$1 == r { print $2; found = 1 } END { if (!found) print 0 }'
}
