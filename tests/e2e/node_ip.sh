#!/bin/bash
# Node-IP forwarding (--forward-node-ip) on the relay topology
# (relay_topology.sh), first with IPv4 node addresses, then with IPv6 ones
# (--node-ip and status privateIP fd7f:...; VXLAN between a pool's nodes then
# runs over IPv6 too). Nodes have default routes, as real nodes do, on which
# nothing answers for another pool's LAN, so a remote node IP is unreachable
# until Raven carries it. The gateways' default routes are on ul0, not on the
# uplink that holds their node IP: --egress-devices=ul0 puts the host egress
# program there too.
#
# Per family: before the agents, host a2 -> host b2 fails; with them, every
# one of these answers (the reply is the return traffic, from a node IP too):
#   host a2 -> host b2, host a2 -> host b1, host a1 -> host b2   (node to node;
#                            a1 with its node IP as source, not ul0's address)
#   pod a2p0 -> host b2                                          (pod to node)
#   host b2 -> pod a2p0, host a2 -> pod b2p0   (host traffic leaves with
#                                               its node IP as source)
# and the remote node IPs are in the members' tries, to VXLAN, and in the
# gateways' WireGuard allowed-ips.
#
# Run: RAVEN_AGENT=build/daemon/raven-agent tests/e2e/node_ip.sh   (as root)

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
# shellcheck source=relay_topology.sh source-path=SCRIPTDIR
source "$(dirname "$0")/relay_topology.sh"
e2e_init

log "== topology"
relay_topology
# The gateways' default router is a MAC on the underlay that nobody holds: an
# internet router that routes no private address.
for node in a1 b1; do
  ipn "$node" neigh add 198.18.0.254 lladdr 02:00:00:00:00:fe dev ul0 nud permanent
  ipn "$node" route add default via 198.18.0.254 dev ul0
  ipn "$node" -6 neigh add fe80::fe lladdr 02:00:00:00:00:fe dev ul0 nud permanent
  ipn "$node" -6 route add default via fe80::fe dev ul0
done
ipn a2 route add default via 100.127.1.1
ipn a2 -6 route add default via fd7f:1::1
ipn b2 route add default via 100.127.2.1
ipn b2 -6 route add default via fd7f:2::1
define_gateway gw-a a1 198.18.0.1
define_gateway gw-b b1 198.18.0.2
for node in a1 a2 b1 b2; do make_key "$node"; done

# node_addr NODE FAMILY: the node's LAN address.
node_addr() {
  local pool=${1:0:1} n=${1:1}
  local p=1
  [[ $pool == b ]] && p=2
  if [[ $2 == 4 ]]; then echo "100.127.$p.$n"; else echo "fd7f:$p::$n"; fi
}
host_prefix() { if [[ $1 == *:* ]]; then echo "$1/128"; else echo "$1/32"; fi; }

for family in 4 6; do
  log "== IPv$family node addresses"
  for node in a1 a2 b1 b2; do
    addr=$(node_addr "$node" "$family")
    define_member "$node" "gw-${node:0:1}" "$addr"
    metrics=$addr
    [[ $family == 6 ]] && metrics="[$addr]"
    NODE_AGENT_ARGS[$node]="--forward-node-ip --metrics-address=$metrics:10273"
  done
  # A gateway's node IP is on its LAN (the uplink), its default route on the underlay.
  NODE_AGENT_ARGS[a1]+=" --egress-devices=ul0" NODE_AGENT_ARGS[b1]+=" --egress-devices=ul0"
  b2=$(node_addr b2 "$family") b1=$(node_addr b1 "$family")
  pod_a2=${POD_IP4[a2p0]} pod_b2=${POD_IP4[b2p0]}
  [[ $family == 6 ]] && pod_a2=${POD_IP6[a2p0]} pod_b2=${POD_IP6[b2p0]}
  ! nq a2 ping -c 1 -W 1 "$b2" >/dev/null || die "host a2 reaches b2's node IP $b2 without Raven"

  write_gateways
  for node in a1 a2 b1 b2; do start_agent "$node"; done
  wait_for 30 "host a2 -> host b2 ($b2)" ping_ok a2 "$b2"
  for node in a1 a2; do
    wait_for 10 "$node routes b1's and b2's node IPs" has_routes "$node" "$(host_prefix "$b1")" "$(host_prefix "$b2")"
  done
  grep -qE "^$(host_prefix "$b2") action=2 " <<<"$(routes a2 "$family")" ||
    die "a2: want b2's node IP relayed through VXLAN"
  [[ $(wg_peers a1) == *"$(host_prefix "$b2")"* ]] || die "a1: b2's node IP is not in b1's allowed-ips"

  check_ping a2 "$b2"
  check_ping a2 "$b1"
  # From a gateway, with its node IP as source: by default it would take ul0's
  # address, which is no node IP, so no pool routes the replies back to it.
  n a1 ping -c 3 -i 0.2 -W 2 -I "$(node_addr a1 "$family")" "$b2" >/dev/null ||
    die "ping a1 ($(node_addr a1 "$family")) -> $b2 failed"
  check_ping a2p0 "$b2"
  check_ping b2 "$pod_a2"
  check_ping a2 "$pod_b2"
  result "node_ip.v$family=ok"
  stop_agents TERM a1 a2 b1 b2
done
