#!/bin/bash
# Every kind of cross-pool traffic, on the lab with one CNI mode (the argument:
# bridge, flannel or calico) and the lab's Services (lab/services.sh:
# kube-proxy's nftables rules on every node), IPv4 and IPv6. The kinds that
# need no node IP run without node-IP forwarding (with it, Flannel's own VXLAN
# to a remote node IP would be carried too, hiding a missed inner packet);
# then the agents restart with --forward-node-ip for the rest.
# From pool edge-a's member a2 (its traffic relayed through gateway a1) to pool
# edge-b's member b2 (behind gateway b1), each answered, so its return traffic
# too:
#   pod -> pod                 a2p0 -> b2p0                       ping
#   pod -> ClusterIP           a2p0 -> svc-edge-b -> b2p0         TCP, after DNAT
#   pod -> headless            a2p0 -> db-edge-b's pod b1p1       TCP, by resolved address
#   host -> pod                a2 (and its hostNetwork pods) -> b2p0   ping    (*)
#   host -> ClusterIP          a2 -> svc-edge-b -> b2p0           TCP     (*)
#   pod -> node                a2p0 -> b2's node IP               ping    (fwd)
#   host -> node               a2 -> b2's node IP                 ping    (fwd)
#   NodePort                   c1 (cloud) -> a2:30080 -> b2p0     TCP     (fwd); a2 masquerades
# (fwd): with forwarding; (*) with forwarding unless flannel, whose host
# traffic leaves with flannel.1's address, a pod-CIDR address.
# Same-pool Service traffic (a2p0 -> svc-edge-a -> a1p1) is answered and leaves
# the Raven counters of a2 and a1 unchanged. The CNI's routes, rules and
# nftables tables of every node are the same with the agents running, after
# `raven-agent --cleanup` and after the agents start again.
#
# Prints the matrix (a line per kind, a column per family) and RESULT lines.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/cni_matrix.sh flannel   (as root)
set -eo pipefail
mode=${1:?usage: cni_matrix.sh bridge|flannel|calico}
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up --cni "$mode"

declare -A CELL=()
failed=0
# cell KIND FAMILY CMD...: runs CMD (bounded by its own timeouts), records ok or FAIL.
cell() {
  local kind=$1 family=$2 out
  shift 2
  if out=$("$@" 2>&1); then
    CELL[$kind/$family]=ok
    log "ok    $kind IPv$family: $(tail -n 1 <<<"$out")"
  else
    CELL[$kind/$family]=FAIL
    failed=1
    log "FAIL  $kind IPv$family: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
  fi
}
pings() { nq "$1" ping -c 3 -i 0.2 -W 2 "$2" | grep 'packets transmitted'; }
# answers FROM ADDR PORT POD: a TCP connection answered by POD.
answers() {
  local out
  out=$(probe "$1" "$2" "$3") || return 1
  echo "$out"
  [[ $out == "$4 "* ]]
}
resolved() {
  local addr
  addr=$("${KUBE_PROXY[@]}" resolve db-edge-b --spec "$RUN_DIR/services.txt" | grep -m1 -F "$([[ $2 == 6 ]] && echo : || echo .)")
  answers "$1" "$addr" "$ENDPOINT_PORT" b1p1
}

# addresses FAMILY: sets pod, svc, local_svc (ClusterIPs), b2_node, a2_node.
addresses() {
  if [[ $1 == 4 ]]; then
    pod=${POD_IP4[b2p0]} svc=10.96.0.10 local_svc=10.96.0.11 b2_node=${NODE_IP[b2]} a2_node=${NODE_IP[a2]}
  else
    pod=${POD_IP6[b2p0]} svc=fd96::10 local_svc=fd96::11 b2_node=${NODE_IP6[b2]} a2_node=${NODE_IP6[a2]}
  fi
}
# host_cells FAMILY: traffic of the host a2 (and its hostNetwork pods) to b2's pod.
host_cells() {
  cell "host -> pod" "$1" pings a2 "$pod"
  cell "host -> ClusterIP" "$1" answers a2 "$svc" "$SERVICE_PORT" b2p0
}

log "== without node-IP forwarding (the agents' default)"
for family in 4 6; do
  addresses "$family"
  cell "pod -> pod" "$family" pings a2p0 "$pod"
  cell "pod -> ClusterIP" "$family" answers a2p0 "$svc" "$SERVICE_PORT" b2p0
  cell "pod -> headless" "$family" resolved a2p0 "$family"
  # Flannel gives the host an address of its pod CIDR on flannel.1 (the source
  # of host traffic routed there), which the other pools route back.
  [[ $mode != flannel ]] || host_cells "$family"

  log "== same-pool Service traffic, IPv$family: a2p0 -> svc-edge-a -> a1p1"
  a2_before=$(peer_packets a2) a1_before=$(peer_packets a1)
  answers a2p0 "$local_svc" "$SERVICE_PORT" a1p1 || die "same-pool ClusterIP $local_svc not answered by a1p1"
  [[ $(peer_packets a2) == "$a2_before" && $(peer_packets a1) == "$a1_before" ]] ||
    die "Raven counters moved on same-pool Service traffic: a2 $a2_before -> $(peer_packets a2), a1 $a1_before -> $(peer_packets a1)"
  log "Raven counters of a2 and a1 unchanged"
done

log "== with node-IP forwarding: the agents restarted with --forward-node-ip"
stop_agents TERM "${NODE_ORDER[@]}"
declare -A mark=()
for node in "${NODE_ORDER[@]}"; do
  # shellcheck disable=SC2004 # an associative array
  NODE_AGENT_ARGS[$node]+=" --forward-node-ip"
  mark[$node]=$(log_lines "$node")
  start_agent "$node"
done
# Every agent's first dataplane after the restart (routes and WireGuard
# peers' AllowedIPs: b1 must accept a2's node IP as a source) before any cell.
for node in "${NODE_ORDER[@]}"; do wait_log "$node" "${mark[$node]}" '\] dataplane updated' 20; done
wait_for 30 "a2 routes b2's node IPs" has_routes a2 "${NODE_IP[b2]}/32" "${NODE_IP6[b2]}/128"
wait_for 30 "b2 routes a2's node IPs" has_routes b2 "${NODE_IP[a2]}/32" "${NODE_IP6[a2]}/128"
wait_for 30 "c1 routes a2's node IPs" has_routes c1 "${NODE_IP[a2]}/32" "${NODE_IP6[a2]}/128"
for family in 4 6; do
  addresses "$family"
  # Elsewhere host traffic leaves with the node IP as its source.
  [[ $mode == flannel ]] || host_cells "$family"
  cell "pod -> node" "$family" pings a2p0 "$b2_node"
  cell "host -> node" "$family" pings a2 "$b2_node"
  cell "NodePort" "$family" answers c1 "$a2_node" "$NODE_PORT" b2p0
done

kinds=("pod -> pod" "pod -> ClusterIP" "pod -> headless" "host -> pod" "host -> ClusterIP"
  "pod -> node" "host -> node" "NodePort")
printf '\nCNI %-20s IPv4  IPv6\n' "$mode"
for kind in "${kinds[@]}"; do printf '%-24s %-5s %s\n' "$kind" "${CELL[$kind/4]}" "${CELL[$kind/6]}"; done
echo
result "cni=$mode $(for kind in "${kinds[@]}"; do printf '%s=%s,%s ' "${kind// /}" "${CELL[$kind/4]}" "${CELL[$kind/6]}"; done)"
(( ! failed )) || die "cells failed (see above)"

# ---------------------------------------------------------------- the CNI untouched
# cni_state NODE: routes of every table, rules and nftables ruleset, without
# what belongs to Raven's own devices (its WireGuard and VXLAN devices).
cni_state() {
  local raven
  raven="dev ($(wg_dev "$1")|raven-vx0)( |$)"
  { nq "$1" ip -4 route show table all; nq "$1" ip -6 route show table all
    nq "$1" ip -4 rule; nq "$1" ip -6 rule; nq "$1" nft -s list ruleset; } | grep -Ev "$raven" || true
}
log "== the CNI's routes, rules and nftables: agents running, after --cleanup, agents again"
# The CNI's own devices carry the host egress program (--egress-devices) while
# the agents run, and nothing of Raven's after --cleanup.
egress_devs=()
[[ $mode != flannel ]] || egress_devs=(flannel.1 flannel-v6.1)
for node in "${NODE_ORDER[@]}"; do
  for dev in "${egress_devs[@]}"; do
    nq "$node" tc filter show dev "$dev" egress | grep -q 'handle 0x5256' ||
      die "[$node] no host egress program on $dev"
  done
done
declare -A running=()
for node in "${NODE_ORDER[@]}"; do running[$node]=$(cni_state "$node"); done
stop_agents TERM "${NODE_ORDER[@]}"
for node in "${NODE_ORDER[@]}"; do
  agent_cmd "$node"
  nq "$node" "${AGENT_ARGS[@]}" --cleanup >>"$LOG_DIR/$node.cleanup.log" 2>&1 || die "[$node] --cleanup failed"
done
for node in "${NODE_ORDER[@]}"; do
  diff <(echo "${running[$node]}") <(cni_state "$node") >&3 || die "[$node] --cleanup changed the CNI's state (diff above)"
  for dev in "${egress_devs[@]}"; do
    [[ -z $(nq "$node" tc filter show dev "$dev" egress) ]] || die "[$node] --cleanup left a filter on $dev"
    ! nq "$node" tc qdisc show dev "$dev" | grep -q clsact || die "[$node] --cleanup left the clsact of $dev"
  done
done
for node in "${NODE_ORDER[@]}"; do mark[$node]=$(log_lines "$node"); start_agent "$node"; done
for node in "${NODE_ORDER[@]}"; do wait_log "$node" "${mark[$node]}" '\] dataplane updated' 20; done
for node in "${NODE_ORDER[@]}"; do
  diff <(echo "${running[$node]}") <(cni_state "$node") >&3 || die "[$node] agent start changed the CNI's state (diff above)"
done
result "cni_state_unchanged=${#NODE_ORDER[@]}_nodes"
