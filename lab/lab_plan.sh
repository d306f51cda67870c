# shellcheck shell=bash
# shellcheck disable=SC2004,SC2034,SC2153,SC2154 # the arrays are topology.sh's, read by the callers
# The lab's plan and its creation (sourced by lab.sh, after topology.sh and
# services.sh): the six nodes of three pools, their addresses, Gateways and
# options; the namespaces, links, routers and the pods' networking of
# create_topology; relink after a link went down. See lab.sh's header for the
# picture.

LAB_NODES=(c1 c2 a1 a2 b1 b2)
declare -A POOL_NR=([c]=1 [a]=2 [b]=3)

# lab_plan: the Gateways, their candidate endpoints and members, the nodes' IPv6
# addresses, uplinks and pod CIDR prefixes (CNI_V4, CNI_V6), the options of the
# running lab (lab_options); no side effects.
lab_plan() {
  local node p
  GW_ORDER=() GW_ENDPOINTS=()
  for node in "${LAB_NODES[@]}"; do
    p=${POOL_NR[${node:0:1}]}
    NODE_IP6[$node]=fd7f:$p::1${node:1}
    NODE_DEV[$node]=lan0
    CNI_V4[$node]=100.64.$p${node:1} CNI_V6[$node]=fd64:$p${node:1}
  done
  NODE_DEV[c1]=ul0 NODE_DEV[c2]=ul0
  define_gateway gw-cloud c1 198.18.0.11 false
  define_endpoint gw-cloud c1 198.18.0.11
  define_endpoint gw-cloud c2 198.18.0.12
  define_member c1 gw-cloud 198.18.0.11
  define_member c2 gw-cloud 198.18.0.12
  define_gateway gw-edge-a a1 198.18.0.20 true
  define_endpoint gw-edge-a a1 198.18.0.20 4500
  define_endpoint gw-edge-a a2 198.18.0.20 4501
  define_member a1 gw-edge-a 100.127.2.11
  define_member a2 gw-edge-a 100.127.2.12
  define_gateway gw-edge-b b1 198.18.0.30 true
  define_endpoint gw-edge-b b1 198.18.0.30 4500
  define_endpoint gw-edge-b b2 198.18.0.30 4501
  define_member b1 gw-edge-b 100.127.3.11
  define_member b2 gw-edge-b 100.127.3.12
  lab_options
}

# lab_options: the options up was given (OPTIONS_FILE), or the defaults: the CNI
# mode (cni_mode: CNI_MODE, POD_GLOB), FORWARD_NODE_IP and the agents' NODE_AGENT_ARGS.
lab_options() {
  local key value cni=bridge node
  FORWARD_NODE_IP=0
  if [[ -f $OPTIONS_FILE ]]; then
    while IFS='=' read -r key value; do
      case $key in
        cni) cni=$value ;;
        forward_node_ip) FORWARD_NODE_IP=$value ;;
      esac
    done <"$OPTIONS_FILE"
  fi
  cni_mode "$cni"
  for node in "${LAB_NODES[@]}"; do
    NODE_AGENT_ARGS[$node]=
    (( ! FORWARD_NODE_IP )) || NODE_AGENT_ARGS[$node]=--forward-node-ip
  done
}

# nat_router NAME WAN_IP LAN_NET(x.y.z) TO_4500 TO_4501: a router on the internet segment
# with the LAN bridge lan0 (x.y.z.1/24); masquerades the LAN, forwards udp 4500 and 4501
# on WAN_IP to port 4500 of the two LAN hosts, and lets nothing else in from the internet.
nat_router() {
  local r=$1 wan=$2 lan=$3 to=$4 to2=$5
  add_router "$r"
  plug "$r" wan0 "$wan/24" inet inet0 "$r"
  add_switch "$r" lan0 "$lan.1/24" "fd7f:${lan##*.}::1/64"
  # The LAN is a plain switch: bridged frames skip the router's netfilter (br_netfilter).
  nq "$r" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 2>/dev/null || true
  log "[$r] nft: masquerade $lan.0/24 on wan0, dnat udp $wan:4500 -> $to:4500, :4501 -> $to2:4500"
  nq "$r" nft -f - <<EOF
table ip rvlab_nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan0" ip daddr $wan udp dport 4500 dnat to $to:4500
    iifname "wan0" ip daddr $wan udp dport 4501 dnat to $to2:4500
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" ip saddr $lan.0/24 masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" ct status dnat accept
    iifname "wan0" drop
  }
}
EOF
}

# node_default_routes NODE: default routes (IPv4, IPv6) via the router of the
# node's segment, as real nodes have (kube-proxy's DNAT of host traffic needs a
# route to the service range first); those routers route no other pool.
node_default_routes() {
  local p=${POOL_NR[${1:0:1}]} r4
  if [[ $1 == c* ]]; then r4=198.18.0.1; else r4=100.127.$p.1; fi
  ipn "$1" route replace default via "$r4"
  ipn "$1" -6 route replace default via "fd7f:$p::1"
}

create_topology() {
  local node p
  add_router inet
  add_switch inet inet0 198.18.0.1/24 fd7f:1::1/64
  # the API server's host: on the internet segment (edge nodes reach it through their NAT)
  add_router api
  plug api ul0 "$API_IP/24" inet inet0 api
  # pool "cloud": nodes straight on the internet segment
  for node in c1 c2; do
    add_node "$node"
    plug "$node" ul0 "${NODE_IP[$node]}/24" inet inet0 "$node" "${NODE_IP6[$node]}/64"
    node_default_routes "$node"
  done
  # pools "edge-a" and "edge-b": a LAN behind a NAT router each
  nat_router nat-a 198.18.0.20 100.127.2 100.127.2.11 100.127.2.12
  nat_router nat-b 198.18.0.30 100.127.3 100.127.3.11 100.127.3.12
  for node in a1 a2 b1 b2; do
    p=${POOL_NR[${node:0:1}]}
    add_node "$node"
    plug "$node" lan0 "${NODE_IP[$node]}/24" "nat-${node:0:1}" lan0 "$node" "${NODE_IP6[$node]}/64"
    node_default_routes "$node"
  done
  # the pods' networking (lab/cni.sh, in CNI_MODE)
  for node in "${LAB_NODES[@]}"; do add_cni "$node" "${CNI_V4[$node]}" "${CNI_V6[$node]}"; done
  cni_connect
  for node in "${LAB_NODES[@]}"; do
    add_pod "$node"
    add_pod "$node"
  done
  cni_wait
}

# relink NODE: brings NODE's link back up after `ip link set ... down` took it,
# with what a link going down removes (its IPv6 address, the routes through
# it), as create_topology made them (cni_relink: the CNI mode's part).
relink() {
  local node=$1 dev=${NODE_DEV[$1]}
  [[ -n $dev ]] || die "relink: no node $node"
  ipn "$node" link set "$dev" up
  ipn "$node" -6 addr replace "${NODE_IP6[$node]}/64" dev "$dev" nodad
  node_default_routes "$node"
  cni_relink "$node"
}

