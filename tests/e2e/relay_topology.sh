# shellcheck shell=bash
# The topology of relay.sh and node_ip.sh (sourced after lib.sh): two pools
# of two nodes each, a1 and b1 their gateways, a2 and b2 members that reach
# the other pool through VXLAN to their gateway.
#
#  pod a1p0 100.64.1.2                                      pod b1p0 100.64.2.2
#      │                                                        │
#  ┌───┴──────────────┐  ul0 198.18.0.1   198.18.0.2 ul0 ┌──────┴───────────┐
#  │ a1 (gw-a active) ├───────────── underlay ───────────┤ b1 (gw-b active) │
#  └───┬──────────────┘                                  └──────┬───────────┘
#      │ lan0 100.127.1.1 fd7f:1::1        lan0 100.127.2.1 fd7f:2::1 │
#      │ pool LAN a                                      pool LAN b   │
#      │ lan0 100.127.1.2 fd7f:1::2        lan0 100.127.2.2 fd7f:2::2 │
#  ┌───┴──────────────┐                                  ┌──────┴───────────┐
#  │ a2 (gw-a member) │                                  │ b2 (gw-b member) │
#  └───┬──────────────┘                                  └──────┬───────────┘
#      │                                                        │
#  pod a2p0 100.64.3.2 fd64:3::2                            pod b2p0 100.64.4.2 fd64:4::2
#
# Pod CIDRs: a1 100.64.1.0/24 fd64:1::/64, a2 100.64.3.0/24 fd64:3::/64,
#            b1 100.64.2.0/24 fd64:2::/64, b2 100.64.4.0/24 fd64:4::/64.
# The "CNI" routes each same-pool node's pod CIDRs via its LAN address; nothing
# routes the other pool. Every node's --node-ip (and status privateIP) is its
# LAN address; the gateways' public IPs are on the underlay.
#
# relay_topology: creates it, pods included, and checks the same-pool pings.
relay_topology() {
  for node in a1 a2 b1 b2; do add_node "$node"; done
  link_nodes a1 ul0 198.18.0.1/24 b1 ul0 198.18.0.2/24
  link_nodes a1 lan0 100.127.1.1/24 a2 lan0 100.127.1.2/24 fd7f:1::1/64 fd7f:1::2/64
  link_nodes b1 lan0 100.127.2.1/24 b2 lan0 100.127.2.2/24 fd7f:2::1/64 fd7f:2::2/64
  add_cni a1 100.64.1 fd64:1
  add_cni a2 100.64.3 fd64:3
  add_cni b1 100.64.2 fd64:2
  add_cni b2 100.64.4 fd64:4
  for node in a1 a2 b1 b2; do add_pod "$node"; done
  # CNI stand-in: same-pool routes over the pool LAN.
  ipn a1 route add 100.64.3.0/24 via 100.127.1.2
  ipn a1 -6 route add fd64:3::/64 via fd7f:1::2
  ipn a2 route add 100.64.1.0/24 via 100.127.1.1
  ipn a2 -6 route add fd64:1::/64 via fd7f:1::1
  ipn b1 route add 100.64.4.0/24 via 100.127.2.2
  ipn b1 -6 route add fd64:4::/64 via fd7f:2::2
  ipn b2 route add 100.64.2.0/24 via 100.127.2.1
  ipn b2 -6 route add fd64:2::/64 via fd7f:2::1
  check_ping a2p0 "${POD_IP4[a1p0]}"
  check_ping a2p0 "${POD_IP6[a1p0]}"
  check_ping b2p0 "${POD_IP4[b1p0]}"
}
