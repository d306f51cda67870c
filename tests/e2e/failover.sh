#!/bin/bash
# The cluster behaviours of issue 5, in the lab (scripts/lab.sh up: API server,
# raven-controller, six agents in three pools, two of them behind NAT):
#
#   same-pool   pod traffic inside a pool leaves the Raven counters unchanged
#   restart     kill -9 of a gateway's agent, started again within the Lease
#               duration: no failover (same active endpoint, no ActiveEndpointLost)
#   failover    while a2's pod pings and streams TCP to edge-b, edge-a's active
#               gateway a1 stops (agent killed, its link down): the gap in a
#               `ping -i 0.1` must be under 3 s and the TCP stream must survive
#   api-outage  the API server stopped (SIGSTOP) for 30 s: the dataplane of every
#               gateway is unchanged, no echo is lost, /healthz says so, and after
#               it returns nothing fails over
#   single-node c2 alone in a new Gateway gw-solo: its pods reach the other pools
#   cleanup     `raven-agent --cleanup` leaves no device, filter, qdisc or pin
#
# Prints RESULT lines with the measured gap and stalls. Skipped (77) when not
# root, when a tool is missing or when a lab is already up.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/failover.sh   (as root, after ninja -C build)
set -eo pipefail
PATH=$PATH:/usr/sbin:/sbin
REPO_DIR=$(cd "$(dirname "$0")/../.." && pwd)
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
OUT=$(mktemp -d /tmp/failover-test.XXXXXX)
result() { printf 'RESULT %s\n' "$*"; }
finish() {
  local rc=$?
  trap - EXIT
  set +e
  kill "${BG[@]}" 2>/dev/null
  [[ -z ${DAEMON_PID[apiserver]} ]] || kill -CONT "${DAEMON_PID[apiserver]}" 2>/dev/null
  if (( rc != 0 )); then
    log "---- controller log (last 30 lines)"
    tail -n 30 "$LOG_DIR/controller.log"
    for f in "$LOG_DIR"/[a-z][0-9].log; do echo "== $f"; tail -n 12 "$f"; done
  fi
  "$LAB" down >/dev/null 2>&1
  rm -rf "$OUT"
  if (( rc == 0 )); then log "PASS: $(basename "$0")"; else log "FAIL: $(basename "$0") (exit $rc)"; fi
  exit "$rc"
}
trap finish EXIT
BG=()

log "== scripts/lab.sh up"
"$LAB" up --no-install --no-build >"$OUT/up.txt" 2>&1 || { cat "$OUT/up.txt"; die "lab up failed"; }
grep '^lab is up after' "$OUT/up.txt"
lab_plan
NODE_ORDER=("${LAB_NODES[@]}")
find_agents
while read -r _ pod _ _ v4 v6; do POD_IP4[$pod]=$v4; POD_IP6[$pod]=$v6; done <"$RUN_DIR/pods"
[[ ${#AGENT_PID[@]} == 6 && -n ${DAEMON_PID[apiserver]} && -n ${DAEMON_PID[controller]} ]] ||
  die "want 6 agents, the API server and the controller running"
controller_lines() { wc -l <"$LOG_DIR/controller.log"; }
lost_since() { tail -n +"$(( $1 + 1 ))" "$LOG_DIR/controller.log" | grep -c "ActiveEndpointLost" || true; }
# gateway_state NODE: the node's routes and WireGuard configuration (no counters; no
# endpoints either: WireGuard itself roams a NATed peer's endpoint to where it is seen).
gateway_state() { routes "$1" 4; routes "$1" 6; wg_peers "$1" | sed 's/ endpoint=[^ ]*//'; }
is_active() { [[ $(active_endpoint "$1") == "$2" ]]; }
healthy() { [[ $(agent_health "$1") == ok ]]; }

# ---------------------------------------------------------------- same pool
log "== same-pool traffic does not touch the Raven maps"
declare -A before=()
for node in a1 a2 c1 c2; do before[$node]=$(peer_packets "$node"); done
check_ping a1p0 "${POD_IP4[a2p0]}"
check_ping a2p1 "${POD_IP6[a1p1]}"
check_ping c1p0 "${POD_IP4[c2p1]}"
for node in a1 a2 c1 c2; do
  [[ $(peer_packets "$node") == "${before[$node]}" ]] ||
    die "[$node] peer counters moved on same-pool traffic: ${before[$node]} -> $(peer_packets "$node")"
done
log "peer counters of a1 a2 c1 c2 unchanged"

# ---------------------------------------------------------------- agent restart
gw_b=$(active_endpoint gw-edge-b)
[[ $gw_b == b[12] ]] || die "gw-edge-b has no active endpoint"
log "== kill -9 of gateway $gw_b's agent and a restart within the Lease duration: no failover"
mark=$(controller_lines)
nq c2p0 ping -i 0.1 -c 40 -W 1 "${POD_IP4[${gw_b}p0]}" >"$OUT/restart-ping.txt" 2>&1 &
ping_pid=$!
sleep 1
kill -9 "${AGENT_PID[$gw_b]}"
unset "AGENT_PID[$gw_b]"
sleep 0.5
start_agent "$gw_b"
wait "$ping_pid" || true
sleep 2.5  # past one Lease duration (2 s) after the kill
read -r gap lost < <("${E2E_UTIL[@]}" pinggap "$OUT/restart-ping.txt" 0.1)
result "restart.ping_lost=$lost restart.longest_gap_s=$gap"
is_active gw-edge-b "$gw_b" || die "the restart made gw-edge-b fail over"
(( $(lost_since "$mark") == 0 )) || die "ActiveEndpointLost after an agent restart"
(( lost == 0 )) || die "$lost echoes lost across an agent restart"

# ---------------------------------------------------------------- failover
old=$(active_endpoint gw-edge-a)
case $old in a1) new=a2 ;; a2) new=a1 ;; *) die "gw-edge-a has no active endpoint" ;; esac
log "== failover: $old (edge-a's gateway) stops while ${new}p0 pings and streams TCP to edge-b"
nq b1p0 "${E2E_UTIL[@]}" tcpecho serve "${POD_IP4[b1p0]}" 5001 40 &
BG+=($!)
sleep 0.5
nq "${new}p0" "${E2E_UTIL[@]}" tcpecho send "${POD_IP4[b1p0]}" 5001 12 >"$OUT/tcp.txt" 2>&1 &
tcp_pid=$!
nq "${new}p0" ping -i 0.1 -c 120 -W 1 "${POD_IP4[b2p1]}" >"$OUT/failover-ping.txt" 2>&1 &
ping_pid=$!
sleep 2
t_stop=$(now_us)
kill -9 "${AGENT_PID[$old]}"
unset "AGENT_PID[$old]"
ipn "$old" link set lan0 down
wait_for 10 "gw-edge-a elects $new" is_active gw-edge-a "$new"
result "failover.status_switch_ms=$(ms_since "$t_stop")"
wait "$ping_pid" || true
wait "$tcp_pid" || { cat "$OUT/tcp.txt"; die "the TCP stream did not survive the failover"; }
read -r gap lost < <("${E2E_UTIL[@]}" pinggap "$OUT/failover-ping.txt" 0.1)
read -r _ sent _ echoed _ stall <"$OUT/tcp.txt"
result "failover.ping_gap_s=$gap failover.ping_lost=$lost tcp.lines=$sent tcp.echoed=$echoed tcp.longest_stall_s=$stall"
[[ $sent == "$echoed" && $sent -gt 100 ]] || die "TCP: sent $sent, echoed $echoed"
python3 -c "import sys; sys.exit(0 if float('$gap') < 3.0 else 1)" || die "failover gap ${gap} s, want < 3 s"

# ---------------------------------------------------------------- API server outage
log "== the API server stops for 30 s: the dataplane stays as it is"
declare -A state=()
gateways=("$(active_endpoint gw-cloud)" "$new" "$gw_b")
for node in "${gateways[@]}"; do state[$node]=$(gateway_state "$node"); done
mark=$(controller_lines)
nq c2p0 ping -i 0.2 -c 175 -W 1 "${POD_IP4[${new}p1]}" >"$OUT/outage-ping.txt" 2>&1 &
ping_pid=$!
kill -STOP "${DAEMON_PID[apiserver]}"
sleep 15
health=$(agent_health "$new" 2>&1 || true)
log "$new /healthz during the outage: $health"
[[ $health != ok ]] || die "$new's /healthz says ok with the API server gone for 15 s"
sleep 15
kill -CONT "${DAEMON_PID[apiserver]}"
wait "$ping_pid" || true
read -r gap lost < <("${E2E_UTIL[@]}" pinggap "$OUT/outage-ping.txt" 0.2)
result "outage.ping_lost=$lost outage.longest_gap_s=$gap"
(( lost == 0 )) || die "$lost echoes lost while the API server was away"
for node in "${gateways[@]}"; do
  [[ $(gateway_state "$node") == "${state[$node]}" ]] || die "[$node] the dataplane changed during the outage"
done
sleep 3  # the agents and the controller are back in touch
wait_for 15 "$new's /healthz is ok again" healthy "$new"
for node in "${gateways[@]}"; do
  [[ $(gateway_state "$node") == "${state[$node]}" ]] || die "[$node] the dataplane changed after the outage"
done
(( $(lost_since "$mark") == 0 )) || die "the outage made a Gateway fail over"
log "dataplane of ${gateways[*]} unchanged; no failover"

# ---------------------------------------------------------------- single-node pool
log "== a single-node pool: c2 alone in Gateway gw-solo"
kc label node c2 raven.openyurt.io/gateway=gw-solo --overwrite >&3
kc apply -f - >&3 <<EOF
apiVersion: raven.openyurt.io/v1beta1
kind: Gateway
metadata: {name: gw-solo}
spec:
  nodeSelector: {matchLabels: {raven.openyurt.io/gateway: gw-solo}}
  exposeType: PublicIP
  tunnelConfig: {Replicas: 1}
  endpoints:
  - {nodeName: c2, type: tunnel, port: 4500, underNAT: false, publicIP: 198.18.0.12}
EOF
wait_for 10 "gw-solo elects c2" is_active gw-solo c2
for pair in "c2p0 ${POD_IP4[${new}p0]}" "c2p1 ${POD_IP6[b1p1]}" "${new}p1 ${POD_IP4[c2p0]}" "b2p0 ${POD_IP6[c2p1]}"; do
  # shellcheck disable=SC2086 # pod and address
  wait_for 15 "ping $pair" ping_ok $pair
done
before_c2=$(peer_packets c2)
check_ping c2p0 "${POD_IP4[b2p1]}"
(( $(peer_packets c2) > before_c2 )) || die "c2's traffic to edge-b did not go through Raven"

# ---------------------------------------------------------------- cleanup
log "== raven-agent --cleanup on c2 leaves nothing behind"
stop_agent c2
agent_cmd c2
nq c2 "${AGENT_ARGS[@]}" --cleanup >>"$LOG_DIR/c2.cleanup.log" 2>&1 || die "--cleanup failed"
left=()
nq c2 ip link show raven-vx0 >/dev/null 2>&1 && left+=("device raven-vx0")
nq c2 ip link show "$(wg_dev c2)" >/dev/null 2>&1 && left+=("device $(wg_dev c2)")
[[ ! -e /var/run/wireguard/$(wg_dev c2).sock ]] || left+=("UAPI socket of $(wg_dev c2)")
for dev in ul0 rvpc2p0 rvpc2p1; do
  [[ -z $(nq c2 tc filter show dev "$dev" ingress) ]] || left+=("ingress filter on $dev")
  [[ -z $(nq c2 tc filter show dev "$dev" egress) ]] || left+=("egress filter on $dev")
  ! nq c2 tc qdisc show dev "$dev" | grep -q clsact || left+=("clsact qdisc on $dev")
done
[[ -z $(find "$BPF_ROOT/c2" -mindepth 1 2>/dev/null) ]] || left+=("pins: $(find "$BPF_ROOT/c2" -mindepth 1 | tr '\n' ' ')")
(( ${#left[@]} == 0 )) || die "left behind by --cleanup: ${left[*]}"
log "nothing left on c2"
