#!/bin/bash
# The cluster behaviours on the lab (scripts/lab.sh up: API server,
# raven-controller, six agents in three pools, two of them behind NAT):
#
#   same-pool   pod traffic inside a pool leaves the Raven counters unchanged
#   restart     kill -9 of a gateway's agent, started again 0.5 s later: no
#               failover (same active endpoint, no ActiveEndpointLost), no
#               echo lost
#   failover    each pool in turn (edge-a, edge-b, cloud): its active gateway
#               stops (agent killed, its link down) while the pod of the node
#               that takes over pings (`ping -D -i 0.1`) and streams TCP to a
#               pod of another pool. Measured as the user sees it: the longest
#               time between two replies (< 3.5 s), the largest delay of any
#               reply (< 1.5 s: replies held back are an outage too), the
#               longest TCP stall (< 4 s); the TCP connection survives
#   api-outage  the API server stopped (SIGSTOP) for 30 s: the dataplane of every
#               gateway is unchanged, no echo is lost, /healthz says so, and after
#               it returns nothing fails over
#   single-node c2 alone in a new Gateway gw-solo: its pods reach the other pools
#   cleanup     `raven-agent --cleanup` leaves no device, filter, qdisc or pin
#
# Prints RESULT lines with every measurement. bench/failover.sh repeats the
# failover many times for figures.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/failover.sh   (as root, after ninja -C build)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up

controller_lines() { wc -l <"$LOG_DIR/controller.log"; }
lost_since() { tail -n +"$(( $1 + 1 ))" "$LOG_DIR/controller.log" | grep -c "ActiveEndpointLost" || true; }
# gateway_state NODE: the node's routes and WireGuard configuration (no counters; no
# endpoints either: WireGuard itself roams a NATed peer's endpoint to where it is seen).
gateway_state() { routes "$1" 4; routes "$1" 6; wg_peers "$1" | sed 's/ endpoint=[^ ]*//'; }
healthy() { [[ $(agent_health "$1") == ok ]]; }
other_node() { case $1 in *1) echo "${1%1}2" ;; *2) echo "${1%2}1" ;; esac; }

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
log "== kill -9 of gateway $gw_b's agent and a restart 0.5 s later: no failover"
mark=$(controller_lines)
nq c2p0 ping -D -i 0.1 -c 40 -W 1 "${POD_IP4[${gw_b}p0]}" >"$OUT/restart-ping.txt" 2>&1 &
ping_pid=$!
wait_for 2 "c2p0 gets replies from ${gw_b}p0" grep -q icmp_seq "$OUT/restart-ping.txt"
kill -9 "${AGENT_PID[$gw_b]}"
unset "AGENT_PID[$gw_b]"
sleep 0.5  # the agent is away this long
start_agent "$gw_b"
wait "$ping_pid" || true
read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/restart-ping.txt" 0.1)
result "restart.ping_lost=$lost restart.longest_gap_s=$gap restart.max_delay_s=$delay"
# The ping outlasted a Lease duration (2 s) after the kill: a failover would have shown.
is_active gw-edge-b "$gw_b" || die "the restart made gw-edge-b fail over"
(( $(lost_since "$mark") == 0 )) || die "ActiveEndpointLost after an agent restart"
(( lost == 0 )) || die "$lost echoes lost across an agent restart"

# ---------------------------------------------------------------- failover
# Each pool's node that is not active now survives all three failovers: the
# traffic of every run goes to a survivor of another pool.
declare -A survivor=() from_pool=([gw-edge-a]=gw-edge-b [gw-edge-b]=gw-cloud [gw-cloud]=gw-edge-a)
for gw in gw-edge-a gw-edge-b gw-cloud; do survivor[$gw]=$(other_node "$(active_endpoint "$gw")"); done
port=5001
for gw in gw-edge-a gw-edge-b gw-cloud; do
  old=$(active_endpoint "$gw")
  new=$(other_node "$old")
  peer=${survivor[${from_pool[$gw]}]}
  log "== failover of $gw: $old stops while ${new}p0 pings ${peer}p1 and streams TCP to ${peer}p0"
  failover_under_traffic "$gw" "$old" "$new" "${new}p0" "${peer}p1" "${peer}p0" "$port" "failover.$gw"
  port=$(( port + 1 ))
done
new=$(active_endpoint gw-edge-a)
c_alive=$(active_endpoint gw-cloud)

# ---------------------------------------------------------------- API server outage
log "== the API server stops for 30 s: the dataplane stays as it is"
declare -A state=()
gateways=("$(active_endpoint gw-cloud)" "$new" "$(active_endpoint gw-edge-b)")
for node in "${gateways[@]}"; do state[$node]=$(gateway_state "$node"); done
mark=$(controller_lines)
nq "${c_alive}p0" ping -D -i 0.2 -c 175 -W 1 "${POD_IP4[${new}p1]}" >"$OUT/outage-ping.txt" 2>&1 &
ping_pid=$!
kill -STOP "${DAEMON_PID[apiserver]}"
sleep 15  # the outage lasts 30 s, /healthz is asked half way
health=$(agent_health "$new" 2>&1 || true)
log "$new /healthz during the outage: $health"
[[ $health != ok ]] || die "$new's /healthz says ok with the API server gone for 15 s"
sleep 15
kill -CONT "${DAEMON_PID[apiserver]}"
wait "$ping_pid" || true
read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/outage-ping.txt" 0.2)
result "outage.ping_lost=$lost outage.longest_gap_s=$gap outage.max_delay_s=$delay"
(( lost == 0 )) || die "$lost echoes lost while the API server was away"
for node in "${gateways[@]}"; do
  [[ $(gateway_state "$node") == "${state[$node]}" ]] || die "[$node] the dataplane changed during the outage"
done
wait_for 15 "$new's /healthz is ok again" healthy "$new"
for node in "${gateways[@]}"; do
  [[ $(gateway_state "$node") == "${state[$node]}" ]] || die "[$node] the dataplane changed after the outage"
done
(( $(lost_since "$mark") == 0 )) || die "the outage made a Gateway fail over"
log "dataplane of ${gateways[*]} unchanged; no failover"

# ---------------------------------------------------------------- single-node pool
log "== a single-node pool: $c_alive alone in Gateway gw-solo"
kc label node "$c_alive" raven.openyurt.io/gateway=gw-solo --overwrite >&3
kc apply -f - >&3 <<EOF
apiVersion: raven.openyurt.io/v1beta1
kind: Gateway
metadata: {name: gw-solo}
spec:
  nodeSelector: {matchLabels: {raven.openyurt.io/gateway: gw-solo}}
  exposeType: PublicIP
  tunnelConfig: {Replicas: 1}
  endpoints:
  - {nodeName: $c_alive, type: tunnel, port: 4500, underNAT: false, publicIP: ${NODE_IP[$c_alive]}}
EOF
wait_for 10 "gw-solo elects $c_alive" is_active gw-solo "$c_alive"
b_alive=$(active_endpoint gw-edge-b)
for pair in "${c_alive}p0 ${POD_IP4[${new}p0]}" "${c_alive}p1 ${POD_IP6[${b_alive}p1]}" \
  "${new}p1 ${POD_IP4[${c_alive}p0]}" "${b_alive}p0 ${POD_IP6[${c_alive}p1]}"; do
  # shellcheck disable=SC2086 # pod and address
  wait_for 15 "ping $pair" ping_ok $pair
done
before=$(peer_packets "$c_alive")
check_ping "${c_alive}p0" "${POD_IP4[${b_alive}p1]}"
(( $(peer_packets "$c_alive") > before )) || die "$c_alive's traffic to edge-b did not go through Raven"

# ---------------------------------------------------------------- cleanup
log "== raven-agent --cleanup on $c_alive leaves nothing behind"
stop_agent "$c_alive"
agent_cmd "$c_alive"
nq "$c_alive" "${AGENT_ARGS[@]}" --cleanup >>"$LOG_DIR/$c_alive.cleanup.log" 2>&1 || die "--cleanup failed"
left=()
nq "$c_alive" ip link show raven-vx0 >/dev/null 2>&1 && left+=("device raven-vx0")
nq "$c_alive" ip link show "$(wg_dev "$c_alive")" >/dev/null 2>&1 && left+=("device $(wg_dev "$c_alive")")
[[ ! -e /var/run/wireguard/$(wg_dev "$c_alive").sock ]] || left+=("UAPI socket of $(wg_dev "$c_alive")")
for dev in ul0 "$(pod_host_if "${c_alive}p0")" "$(pod_host_if "${c_alive}p1")"; do
  [[ -z $(nq "$c_alive" tc filter show dev "$dev" ingress) ]] || left+=("ingress filter on $dev")
  [[ -z $(nq "$c_alive" tc filter show dev "$dev" egress) ]] || left+=("egress filter on $dev")
  ! nq "$c_alive" tc qdisc show dev "$dev" | grep -q clsact || left+=("clsact qdisc on $dev")
done
[[ -z $(find "$BPF_ROOT/$c_alive" -mindepth 1 2>/dev/null) ]] || left+=("pins: $(find "$BPF_ROOT/$c_alive" -mindepth 1 | tr '\n' ' ')")
(( ${#left[@]} == 0 )) || die "left behind by --cleanup: ${left[*]}"
log "nothing left on $c_alive"
