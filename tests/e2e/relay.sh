#!/bin/bash
# Two pools of two nodes each (relay_topology.sh). Only a1 and b1 (the
# active gateways) hold the WireGuard tunnel; a2 and b2 reach the other pool
# through VXLAN to their pool's gateway, which sends the traffic on into
# WireGuard.
#
# Checks: a2's trie sends remote prefixes to VXLAN towards a1 (100.127.1.1);
# pods on a2 reach b2 and b1 (and b2 reaches a2 and a1), v4 and v6; the VXLAN
# devices counted the relayed packets (a2/b2 tx, a1/b1 rx); 20 MiB over TCP
# a2p0 -> b2p0 with the underlay carrying only WireGuard.
#
# Run: RAVEN_AGENT=build/daemon/raven-agent tests/e2e/relay.sh   (as root)

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
# shellcheck source=relay_topology.sh source-path=SCRIPTDIR
source "$(dirname "$0")/relay_topology.sh"
e2e_init
VX=raven-vx0

log "== topology"
relay_topology
! nq a2p0 ping -c 1 -W 1 "${POD_IP4[b2p0]}" >/dev/null || die "pools reachable without raven"

define_gateway gw-a a1 198.18.0.1
define_gateway gw-b b1 198.18.0.2
define_member a1 gw-a 100.127.1.1
define_member a2 gw-a 100.127.1.2
define_member b1 gw-b 100.127.2.1
define_member b2 gw-b 100.127.2.2

log "== agents"
for node in a1 a2 b1 b2; do make_key "$node"; done
write_gateways
t0=$(now_us)
for node in a1 a2 b1 b2; do start_agent "$node"; done
wait_for 30 "a2p0 -> b2p0 ping" ping_ok a2p0 "${POD_IP4[b2p0]}"
result "startup_to_first_relayed_reply_ms=$(ms_since "$t0")"
for node in a1 a2; do
  wait_for 10 "$node routes gw-b's subnets" has_routes "$node" 100.64.2.0/24 100.64.4.0/24 fd64:2::/64 fd64:4::/64
done
for node in b1 b2; do
  wait_for 10 "$node routes gw-a's subnets" has_routes "$node" 100.64.1.0/24 100.64.3.0/24 fd64:1::/64 fd64:3::/64
done

log "== route tries: gateways -> WireGuard, members -> VXLAN to their gateway"
vx_a2=$(ifindex_of a2 "$VX")
wg_a1=$(ifindex_of a1 "$(wg_dev a1)")
a2_routes=$(routes a2 4; routes a2 6)
a1_routes=$(routes a1 4; routes a1 6)
log "a2 routes:"$'\n'"$a2_routes"
log "a1 routes:"$'\n'"$a1_routes"
for prefix in 100.64.2.0/24 100.64.4.0/24 fd64:2::/64 fd64:4::/64; do
  grep -qE "^$prefix action=2 ifindex=$vx_a2 .* family=4 dst=100\.127\.1\.1 " <<<"$a2_routes" ||
    die "a2: want $prefix -> VXLAN ($VX, ifindex $vx_a2) to 100.127.1.1"
  grep -qE "^$prefix action=1 ifindex=$wg_a1 " <<<"$a1_routes" ||
    die "a1: want $prefix -> WireGuard (ifindex $wg_a1)"
done
(( $(wc -l <<<"$a2_routes") == 4 )) || die "a2: want exactly the 4 remote prefixes"
peers=$(wg_peers a1)
log "a1 wg:"$'\n'"$peers"
[[ $peers == *"peer ${NODE_KEY[b1]} endpoint=198.18.0.2:4500 allowed-ips=100.64.2.0/24,100.64.4.0/24,fd64:2::/64,fd64:4::/64,$(tunnel_host "${NODE_KEY[b1]}") "* ]] ||
  die "a1: want peer b1 with allowed-ips = all of gw-b's subnets"
log "a2 (not an active endpoint) WireGuard device: $(nq a2 ip -br link show dev "$(wg_dev a2)" 2>/dev/null || echo none)"

log "== relayed pings"
read -r a1_rx0 a1_tx0 < <(link_stats a1 "$VX")
read -r _ a2_tx0 < <(link_stats a2 "$VX")
read -r b1_rx0 _ < <(link_stats b1 "$VX")
read -r _ b2_tx0 < <(link_stats b2 "$VX")
a2_peer0=$(peer_packets a2)
for pair in a2p0:b2p0 a2p0:b1p0 b2p0:a2p0 b2p0:a1p0 a1p0:b2p0 b1p0:a2p0; do
  check_ping "${pair%:*}" "${POD_IP4[${pair#*:}]}"
  check_ping "${pair%:*}" "${POD_IP6[${pair#*:}]}"
done
read -r a1_rx1 a1_tx1 < <(link_stats a1 "$VX")
read -r _ a2_tx1 < <(link_stats a2 "$VX")
read -r b1_rx1 _ < <(link_stats b1 "$VX")
read -r _ b2_tx1 < <(link_stats b2 "$VX")
a2_peer1=$(peer_packets a2)
# a1's own VXLAN tx stays put: traffic from WireGuard to a2's pods is routed by the kernel
# over the LAN (the CNI's route), not relayed.
result "vxlan.a2_tx=$((a2_tx1 - a2_tx0)) vxlan.a1_rx=$((a1_rx1 - a1_rx0)) vxlan.a1_tx=$((a1_tx1 - a1_tx0)) vxlan.b2_tx=$((b2_tx1 - b2_tx0)) vxlan.b1_rx=$((b1_rx1 - b1_rx0)) a2.peer_packets=$((a2_peer1 - a2_peer0))"
# a2 originates 12 requests to the other pool and answers 6 (b1p0 -> a2p0 v4/v6 x 3).
(( a2_tx1 - a2_tx0 >= 18 )) || die "a2's $VX sent $((a2_tx1 - a2_tx0)) packets, want >= 18"
(( a1_rx1 - a1_rx0 >= 18 )) || die "a1's $VX received $((a1_rx1 - a1_rx0)) packets, want >= 18"
(( b2_tx1 - b2_tx0 >= 18 )) || die "b2's $VX sent $((b2_tx1 - b2_tx0)) packets, want >= 18"
(( b1_rx1 - b1_rx0 >= 18 )) || die "b1's $VX received $((b1_rx1 - b1_rx0)) packets, want >= 18"
(( a2_peer1 - a2_peer0 >= 18 )) || die "a2's per-peer counters moved by $((a2_peer1 - a2_peer0)), want >= 18"

log "== 20 MiB over TCP a2p0 -> b2p0 and 20 MiB back over TCP6, underlay captured"
make_payload 20
capture_start a1 ul0 relay_underlay
bulk_transfer a2p0 b2p0 "${POD_IP4[b2p0]}" tcp4_a2p0_to_b2p0
bulk_transfer b2p0 a2p0 "${POD_IP6[a2p0]}" tcp6_b2p0_to_a2p0
capture_stop relay_underlay
check_underlay_capture relay_underlay 28000
