#!/bin/bash
# Attacks on the lab from places that must never reach into the tunnels:
#
#   vxlan   hand-made VXLAN datagrams (VNI 200, port 4472) carrying an ICMP
#           echo to a pod of another pool, sent to a gateway from a host on
#           the "internet" segment (198.18.0.2, no node) and from a stranger
#           plugged into edge-a's LAN; and to member nodes with a local pod as
#           the inner destination. None may arrive (an nftables counter in the
#           target pod stays at 0) and each is counted as relay_foreign on the
#           node that dropped it. The same datagram from a member of the pool
#           arrives: the probe can see a delivery.
#
#                    rvlab-api 198.18.0.2 ──┐ internet        ┌── stranger 100.127.2.99
#                                           ▼                 ▼
#                    c1/c2 (cloud gateway, public)    a1/a2 on edge-a's LAN
#
# Run: RAVEN_AGENT=build/daemon/raven-agent tests/e2e/attacks.sh   (as root)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up

VXLAN_PORT=4472 VNI=200

# watch POD SRC: an nftables counter in POD's namespace of packets from SRC.
watch() {
  nq "$1" nft -f - <<EOF2
table ip attack {
  chain in {
    type filter hook input priority 0;
    ip saddr $2 counter
  }
}
EOF2
}
seen() { nq "$1" nft list chain ip attack in | awk '/counter packets/ { print $(NF - 2) }'; }
agent_ip() { printf '%s' "${NODE_IP[$1]}"; }

# inject FROM_NS SRC DST INNER_SRC POD: three datagrams; waits until DST's agent counted them
# as relay_foreign, then checks that POD saw nothing.
inject_refused() {
  local from=$1 src=$2 dst=$3 inner=$4 pod=$5 node before
  node=$(node_at "$dst")
  watch "$pod" "$inner"
  before=$(drop_count "$node" relay_foreign)
  log "[$from] VXLAN $src -> $dst:$VXLAN_PORT carrying $inner -> ${POD_IP4[$pod]} ($pod)"
  nq "$from" "${E2E_UTIL[@]}" vxlan "$src" "$dst" "$VXLAN_PORT" "$VNI" "$inner" "${POD_IP4[$pod]}" 3
  wait_for 5 "[$node] 3 more relay_foreign drops" dropped_since "$node" "$before" 3
  [[ $(seen "$pod") == 0 ]] || die "$pod received $(seen "$pod") injected packets"
  nq "$pod" nft delete table ip attack
}
dropped_since() { (( $(drop_count "$1" relay_foreign) >= $2 + $3 )); }
# node_at IP: the lab node whose node IP or public address is IP.
node_at() {
  local node
  for node in "${LAB_NODES[@]}"; do
    [[ ${NODE_IP[$node]} == "$1" ]] && { echo "$node"; return; }
  done
  die "no node at $1"
}

cloud_gw=$(active_endpoint gw-cloud)
edge_gw=$(active_endpoint gw-edge-a)
cloud_member=$([[ $cloud_gw == c1 ]] && echo c2 || echo c1)
edge_member=$([[ $edge_gw == a1 ]] && echo a2 || echo a1)
log "gateways: cloud $cloud_gw, edge-a $edge_gw"

log "== a stranger on edge-a's LAN"
add_ns stranger
plug stranger lan0 100.127.2.99/24 nat-a lan0 stranger

log "== VXLAN from the internet to the cloud gateway, for edge-a's pod"
inject_refused api 198.18.0.2 "$(agent_ip "$cloud_gw")" 100.64.12.77 a1p0
log "== VXLAN from the internet to a cloud member, for its own pod"
inject_refused api 198.18.0.2 "$(agent_ip "$cloud_member")" 100.64.99.77 "${cloud_member}p0"
log "== VXLAN from a stranger on edge-a's LAN to its gateway, for edge-b's pod"
inject_refused stranger 100.127.2.99 "$(agent_ip "$edge_gw")" 100.64.22.77 b1p0
log "== VXLAN from a stranger on edge-a's LAN to a member, for its own pod"
inject_refused stranger 100.127.2.99 "$(agent_ip "$edge_member")" 100.64.99.77 "${edge_member}p0"

log "== the same datagram from a member of edge-a arrives (the probe sees deliveries)"
watch b1p0 100.64.22.77
nq "$edge_member" "${E2E_UTIL[@]}" vxlan "$(agent_ip "$edge_member")" "$(agent_ip "$edge_gw")" \
  "$VXLAN_PORT" "$VNI" 100.64.22.77 "${POD_IP4[b1p0]}" 3
wait_for 5 "b1p0 receives the member's 3 packets" test "$(seen b1p0)" -ge 3
result "vxlan.refused=4 vxlan.member_delivered=$(seen b1p0)"
