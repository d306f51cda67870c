# shellcheck shell=bash
# shellcheck disable=SC2004,SC2034,SC2153,SC2154 # the arrays are topology.sh's, read by the callers
# The lab's plan and its creation (sourced by lab.sh, after topology.sh and
# services.sh): the six nodes of three pools (eight of four with --nat-d),
# their addresses, Gateways and options; the namespaces, links, routers and the pods' networking of
# create_topology; relink after a link went down. See lab.sh's header for the
# picture.

# The edge sites (EDGE_SITES: a, b, and d with --nat-d; d, since c is the
# cloud) and the nodes (LAB_NODES) of the running lab's options.
LAB_NODES=(c1 c2 a1 a2 b1 b2)
EDGE_SITES=(a b)
declare -A POOL_NR=([c]=1 [a]=2 [b]=3 [d]=4)
# An edge site's public address (its router's, or with NAT kind double its
# CGNAT's) and, with double, its carrier segment (x.y.z: the CGNAT x.y.z.1,
# the site router x.y.z.<last byte of the public address>), test ranges the
# lab uses nowhere else.
declare -A SITE_WAN=([a]=198.18.0.20 [b]=198.18.0.30 [d]=198.18.0.50)
declare -A CARRIER_NET=([a]=192.0.2 [b]=198.51.100 [d]=203.0.113)
declare -A NAT_KIND=([a]=forward [b]=forward)
# With --cloud-expose lb: the cloud pool's nodes on a private LAN behind the
# load balancer's namespace (rvlab-lb, lab/load_balancer.py), which holds
# LB_IP on the internet segment and masquerades the LAN's own traffic to it.
LB_IP=198.18.0.40
CLOUD_EXPOSE=public
TUNNEL_REPLICAS=1

# lab_plan: the Gateways, their candidate endpoints and members, the nodes' IPv6
# addresses, uplinks and pod CIDR prefixes (CNI_V4, CNI_V6), the options of the
# running lab (lab_options); no side effects.
lab_plan() {
  local node p site
  GW_ORDER=() GW_ENDPOINTS=() GW_EXPOSE=()
  lab_options
  for node in "${LAB_NODES[@]}"; do
    p=${POOL_NR[${node:0:1}]}
    NODE_IP6[$node]=fd7f:$p::1${node:1}
    NODE_DEV[$node]=lan0
    CNI_V4[$node]=100.64.$p${node:1} CNI_V6[$node]=fd64:$p${node:1}
  done
  if [[ $CLOUD_EXPOSE == lb ]]; then
    # exposeType LoadBalancer: the controller publishes the load balancer's address.
    define_gateway gw-cloud c1 "$LB_IP" false
    define_endpoint gw-cloud c1 - -
    define_endpoint gw-cloud c2 - -
    define_member c1 gw-cloud 100.127.1.11
    define_member c2 gw-cloud 100.127.1.12
    GW_EXPOSE[gw-cloud]=LoadBalancer
  else
    NODE_DEV[c1]=ul0 NODE_DEV[c2]=ul0
    define_gateway gw-cloud c1 198.18.0.11 false
    define_endpoint gw-cloud c1 198.18.0.11
    define_endpoint gw-cloud c2 198.18.0.12
    define_member c1 gw-cloud 198.18.0.11
    define_member c2 gw-cloud 198.18.0.12
  fi
  for site in "${EDGE_SITES[@]}"; do
    p=${POOL_NR[$site]}
    define_gateway "gw-edge-$site" "${site}1" "${SITE_WAN[$site]}" true
    # Without a port forward the endpoints have no public address or port to name.
    if [[ ${NAT_KIND[$site]} == forward ]]; then
      define_endpoint "gw-edge-$site" "${site}1" "${SITE_WAN[$site]}" 4500
      define_endpoint "gw-edge-$site" "${site}2" "${SITE_WAN[$site]}" 4501
    else
      define_endpoint "gw-edge-$site" "${site}1" - -
      define_endpoint "gw-edge-$site" "${site}2" - -
    fi
    define_member "${site}1" "gw-edge-$site" "100.127.$p.11"
    define_member "${site}2" "gw-edge-$site" "100.127.$p.12"
  done
}

# lab_options: the options up was given (OPTIONS_FILE), or the defaults: the CNI
# mode (cni_mode: CNI_MODE, POD_GLOB), FORWARD_NODE_IP, the edge sites' NAT_KIND
# (lab/nat.sh; with nat_d a third edge site, EDGE_SITES and LAB_NODES),
# CLOUD_EXPOSE (public or lb), TUNNEL_REPLICAS and the agents' NODE_AGENT_ARGS.
lab_options() {
  local key value cni=bridge node site
  FORWARD_NODE_IP=0
  NAT_KIND=([a]=forward [b]=forward)
  CLOUD_EXPOSE=public
  TUNNEL_REPLICAS=1
  EDGE_SITES=(a b)
  if [[ -f $OPTIONS_FILE ]]; then
    while IFS='=' read -r key value; do
      case $key in
        cni) cni=$value ;;
        forward_node_ip) FORWARD_NODE_IP=$value ;;
        nat_a) NAT_KIND[a]=$value ;;
        nat_b) NAT_KIND[b]=$value ;;
        nat_d) [[ $value == none ]] || { NAT_KIND[d]=$value; EDGE_SITES=(a b d); } ;;
        cloud_expose) CLOUD_EXPOSE=$value ;;
        replicas) TUNNEL_REPLICAS=$value ;;
      esac
    done <"$OPTIONS_FILE"
  fi
  cni_mode "$cni"
  LAB_NODES=(c1 c2)
  for site in "${EDGE_SITES[@]}"; do LAB_NODES+=("${site}1" "${site}2"); done
  for node in "${LAB_NODES[@]}"; do
    NODE_AGENT_ARGS[$node]=
    (( ! FORWARD_NODE_IP )) || NODE_AGENT_ARGS[$node]=--forward-node-ip
  done
}

# nat_router SITE: the router of edge site SITE (a, b, d), namespace nat-SITE: its
# LAN bridge lan0 (100.127.<pool>.1/24) and the rules of its NAT_KIND
# (lab/nat.sh: with forward, udp 4500 and 4501 of its public address go to port
# 4500 of the site's nodes .11 and .12). Its uplink wan0 is on the internet
# segment, or, with double, on the carrier segment cgn0 of a CGNAT in namespace
# cgn-SITE, whose wan0 holds the public address.
nat_router() {
  local r=nat-$1 kind=${NAT_KIND[$1]} wan=${SITE_WAN[$1]} lan=100.127.${POOL_NR[$1]}
  local uplink=$wan carrier=${CARRIER_NET[$1]} cgn=cgn-$1
  add_router "$r"
  if [[ $kind == double ]]; then
    uplink=$carrier.${wan##*.}
    add_router "$cgn"
    plug "$cgn" wan0 "$wan/24" inet inet0 "$cgn"
    add_switch "$cgn" cgn0 "$carrier.1/24"
    nq "$cgn" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
    log "[$cgn] nft: NAT $NAT_CGN_KIND of $carrier.0/24 to $wan"
    nat_rules "$NAT_CGN_KIND" wan0 "$wan" "$carrier.0/24" | nq "$cgn" nft -f -
    plug "$r" wan0 "$uplink/24" "$cgn" cgn0 "$r"
    ipn "$r" route replace default via "$carrier.1"
  else
    plug "$r" wan0 "$wan/24" inet inet0 "$r"
  fi
  add_switch "$r" lan0 "$lan.1/24" "fd7f:${lan##*.}::1/64"
  # The LAN is a plain switch: bridged frames skip the router's netfilter (br_netfilter).
  nq "$r" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 2>/dev/null || true
  log "[$r] nft: NAT $(nat_site_kind "$kind") of $lan.0/24 to $uplink$([[ $kind != forward ]] ||
    echo ", dnat udp :4500 -> $lan.11:4500, :4501 -> $lan.12:4500")"
  nat_rules "$(nat_site_kind "$kind")" wan0 "$uplink" "$lan.0/24" "$lan.11" "$lan.12" | nq "$r" nft -f -
}

# load_balancer_router: namespace lb, the cloud's load balancer and NAT
# gateway: wan0 LB_IP on the internet segment, the cloud pool's LAN lan0
# 100.127.1.1/24 (fd7f:1::1/64), whose traffic it masquerades to LB_IP
# (endpoint-independent, ports kept when free); lab/load_balancer.py adds the
# forwards of the LoadBalancer Services.
load_balancer_router() {
  add_router lb
  plug lb wan0 "$LB_IP/24" inet inet0 lb
  add_switch lb lan0 100.127.1.1/24 fd7f:1::1/64
  nq lb sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 2>/dev/null || true
  ipn lb route replace default via 198.18.0.1
  log "[lb] nft: masquerade 100.127.1.0/24 to $LB_IP"
  nq lb nft -f - <<EOF
table ip rvlab_lb_snat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" ip saddr 100.127.1.0/24 masquerade
  }
}
EOF
}

# node_default_routes NODE: default routes (IPv4, IPv6) via the router of the
# node's segment, as real nodes have (kube-proxy's DNAT of host traffic needs a
# route to the service range first); those routers route no other pool.
node_default_routes() {
  local p=${POOL_NR[${1:0:1}]} r4
  if [[ $1 == c* && $CLOUD_EXPOSE != lb ]]; then r4=198.18.0.1; else r4=100.127.$p.1; fi
  ipn "$1" route replace default via "$r4"
  ipn "$1" -6 route replace default via "fd7f:$p::1"
}

create_topology() {
  local node p site
  add_router inet
  add_switch inet inet0 198.18.0.1/24 fd7f:1::1/64
  # the API server's host: on the internet segment (edge nodes reach it through their NAT)
  add_router api
  plug api ul0 "$API_IP/24" inet inet0 api
  # pool "cloud": nodes straight on the internet segment, or behind the load balancer
  [[ $CLOUD_EXPOSE != lb ]] || load_balancer_router
  for node in c1 c2; do
    add_node "$node"
    if [[ $CLOUD_EXPOSE == lb ]]; then
      plug "$node" lan0 "${NODE_IP[$node]}/24" lb lan0 "$node" "${NODE_IP6[$node]}/64"
    else
      plug "$node" ul0 "${NODE_IP[$node]}/24" inet inet0 "$node" "${NODE_IP6[$node]}/64"
    fi
    node_default_routes "$node"
  done
  # pools "edge-a", "edge-b" (and "edge-d"): a LAN behind a NAT router each (NAT_KIND)
  for site in "${EDGE_SITES[@]}"; do nat_router "$site"; done
  for node in "${LAB_NODES[@]:2}"; do
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

