# shellcheck shell=bash
# Flannel's VXLAN routes between the nodes (CNI mode flannel, see cni.sh), as
# flanneld programs them: every node has a VXLAN device flannel.1 (VNI 1, UDP
# 8472, no learning, local = the node's IP, address = the network address of
# its IPv4 pod CIDR /32, e.g. 100.64.22.0/32) and flannel-v6.1 for IPv6
# (local = the node's IPv6 address, address e.g. fd64:22::/128). For EVERY
# other node of the cluster (flannel knows nothing of pools):
#   <pod CIDR> via <its network address> dev flannel.1 onlink
#   a permanent neighbour: that address -> the other node's flannel.1 MAC
#   a bridge fdb entry: that MAC dev flannel.1 dst <the other node's IP>
# and the same over flannel-v6.1. Within a pool this carries the pods'
# traffic; to another pool it is black-holed (its node IPs are unreachable
# behind NAT), as real flannel on such a cluster. MACs are deterministic
# (flannel_mac). Needs NODE_IP, NODE_IP6, NODE_DEV, CNI_V4 and CNI_V6 of every
# node in NODE_ORDER.

FLANNEL_PORT=8472

# flannel_mac VAR NODE 4|6: VAR = the MAC of the node's flannel.1 (4) or
# flannel-v6.1 (6): 0e:66:6c:<third octet of its IPv4 pod CIDR, hex>:00:04|06.
flannel_mac() {
  local octet=${CNI_V4[$2]##*.}
  printf -v "$1" '0e:66:6c:%02x:00:%02x' "$octet" "$3"
}

# flannel_devices NODE: flannel.1 and flannel-v6.1 of the node.
flannel_devices() {
  local node=$1 mac4 mac6
  flannel_mac mac4 "$node" 4
  flannel_mac mac6 "$node" 6
  ipn "$node" link add flannel.1 address "$mac4" type vxlan id 1 \
    local "${NODE_IP[$node]}" dev "${NODE_DEV[$node]}" dstport "$FLANNEL_PORT" nolearning
  ipn "$node" addr add "${CNI_V4[$node]}.0/32" dev flannel.1
  ipn "$node" link set flannel.1 up
  ipn "$node" link add flannel-v6.1 address "$mac6" type vxlan id 1 \
    local "${NODE_IP6[$node]}" dev "${NODE_DEV[$node]}" dstport "$FLANNEL_PORT" nolearning
  ipn "$node" addr add "${CNI_V6[$node]}::/128" dev flannel-v6.1 nodad
  ipn "$node" link set flannel-v6.1 up
}

# flannel_routes NODE: NODE's routes, neighbours and fdb entries for every other
# node's pod CIDRs (one `ip -batch` and one `bridge -batch`, their lines logged).
flannel_routes() {
  local node=$1 other mac4 mac6
  local -a ips=() fdb=()
  for other in "${NODE_ORDER[@]}"; do
    [[ $other != "$node" ]] || continue
    flannel_mac mac4 "$other" 4
    flannel_mac mac6 "$other" 6
    ips+=("route add ${CNI_V4[$other]}.0/24 via ${CNI_V4[$other]}.0 dev flannel.1 onlink"
      "neigh add ${CNI_V4[$other]}.0 lladdr $mac4 dev flannel.1 nud permanent"
      "route add ${CNI_V6[$other]}::/64 via ${CNI_V6[$other]}:: dev flannel-v6.1 onlink"
      "neigh add ${CNI_V6[$other]}:: lladdr $mac6 dev flannel-v6.1 nud permanent")
    fdb+=("fdb append $mac4 dev flannel.1 dst ${NODE_IP[$other]}"
      "fdb append $mac6 dev flannel-v6.1 dst ${NODE_IP6[$other]}")
  done
  log "[$node] ip -batch -, then bridge -batch -:"
  printf '    %s\n' "${ips[@]}" "${fdb[@]}" >&3
  printf '%s\n' "${ips[@]}" | ip -n "$(ns "$node")" -batch -
  printf '%s\n' "${fdb[@]}" | nq "$node" bridge -batch -
}

# flannel_connect: the devices of every node, then its entries for every other node.
flannel_connect() {
  local node
  for node in "${NODE_ORDER[@]}"; do flannel_devices "$node"; done
  for node in "${NODE_ORDER[@]}"; do flannel_routes "$node"; done
}
