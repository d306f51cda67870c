# shellcheck shell=bash
# shellcheck disable=SC2004,SC2034 # the associative arrays are topology.sh's, read by the callers
# Pod networking of the lab's nodes ("the CNI"), in one of three modes
# (CNI_MODE, set with cni_mode):
#
#   bridge   (default) a stand-in: bridge cni0 with the first address of the
#            node's pod CIDRs; a pod's eth0 is a veth whose host side,
#            rvp<pod>, is a port of cni0; within a pool, routes to the other
#            node's pod CIDRs via its LAN address. POD_GLOB 'rvp*'.
#   flannel  Debian's containernetworking-plugins as flannel delegates to them:
#            bridge (cni0, isGateway, isDefaultGateway, ipMasq false,
#            hairpinMode, MTU 1450) + host-local; between nodes flannel's VXLAN
#            routes to every other node of the cluster (cni_flannel.sh).
#            POD_GLOB 'veth*'.
#   calico   the plugins in Calico's style: ptp (a host veth per pod, /32 and
#            /128 host routes) + host-local; the node's blocks as blackhole
#            routes, exchanged by bird over iBGP within the pool
#            (cni_calico.sh). POD_GLOB 'veth*'.
#
# The plugins are called as a kubelet's runtime calls them: in the node's
# namespace, CNI_COMMAND=ADD, CNI_CONTAINERID=<pod>,
# CNI_NETNS=/var/run/netns/<pod's namespace>, CNI_IFNAME=eth0,
# CNI_PATH=$CNI_BIN, the network configuration on stdin (kept in
# $CNI_STATE_DIR/<node>/10-rvlab.conf); host-local keeps its leases in
# $CNI_STATE_DIR/<node>/ipam, never /var/lib/cni. Pod namespaces get
# accept_dad=0 first (as the nodes have), so the plugins need not wait for
# IPv6 duplicate address detection.
#
# Per pod: POD_NODE, POD_IP4, POD_IP6 (from the plugin's result) and
# POD_HOSTIF (the host side of its veth); pod_host_if POD finds the latter in
# a running lab. Sourced by topology.sh (which the e2e tests use in bridge
# mode: add_cni, add_pod); the lab (lab.sh) also calls cni_connect, cni_wait,
# cni_relink and cni_stop, which need NODE_IP, NODE_IP6, NODE_DEV and NODE_GW
# (the pool) of every node in NODE_ORDER.

CNI_MODE=bridge CNI_PLUGIN=
CNI_BIN=${CNI_BIN:-/usr/lib/cni}
CNI_STATE_DIR=${CNI_STATE_DIR:-$STATE_ROOT/cni}
declare -A POD_HOSTIF=()

# shellcheck source-path=SCRIPTDIR source=cni_flannel.sh
source "$LAB_DIR/cni_flannel.sh"
# shellcheck source-path=SCRIPTDIR source=cni_calico.sh
source "$LAB_DIR/cni_calico.sh"

# cni_mode MODE: selects the mode, the agents' --pod-interfaces glob (POD_GLOB)
# and the plugin (CNI_PLUGIN).
cni_mode() {
  case $1 in
    bridge) POD_GLOB='rvp*' CNI_PLUGIN= ;;
    flannel) POD_GLOB='veth*' CNI_PLUGIN=bridge ;;
    calico) POD_GLOB='veth*' CNI_PLUGIN=ptp ;;
    *) die "no CNI mode '$1' (bridge, flannel or calico)" ;;
  esac
  CNI_MODE=$1
}

# add_cni NODE V4_PREFIX V6_PREFIX: the node's pod CIDRs V4_PREFIX.0/24 and
# V6_PREFIX::/64, e.g. add_cni a1 100.64.1 fd64:1. Bridge mode: bridge cni0 with
# .1 and ::1. Plugin modes: the network configuration (calico: and the blocks'
# blackhole routes); the bridge plugin makes cni0 at the first pod.
add_cni() {
  local node=$1 v4=$2 v6=$3
  NODE_SUBNETS[$node]="$v4.0/24,$v6::/64"
  CNI_V4[$node]=$v4 CNI_V6[$node]=$v6 CNI_PODS[$node]=0
  case $CNI_MODE in
    bridge) add_switch "$node" cni0 "$v4.1/24" "$v6::1/64" ;;
    flannel) cni_netconf "$node" ;;
    calico) cni_netconf "$node"; calico_block "$node" ;;
  esac
}

# cni_netconf NODE: writes the node's network configuration for the mode.
cni_netconf() {
  local node=$1 dir=$CNI_STATE_DIR/$1 plugin routes
  if [[ $CNI_PLUGIN == bridge ]]; then
    plugin='"type": "bridge", "bridge": "cni0", "isGateway": true, "isDefaultGateway": true,
  "ipMasq": false, "hairpinMode": true, "mtu": 1450,'
    routes='{"dst": "100.64.0.0/16"}, {"dst": "fd64::/16"}' # flannel's: the cluster network
  else
    plugin='"type": "ptp", "ipMasq": false, "mtu": 1500,'
    routes='{"dst": "0.0.0.0/0"}, {"dst": "::/0"}'
  fi
  mkdir -p "$dir/ipam"
  cat >"$dir/10-rvlab.conf" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "rvlab",
  $plugin
  "ipam": {
    "type": "host-local",
    "dataDir": "$dir/ipam",
    "ranges": [[{"subnet": "${CNI_V4[$node]}.0/24"}], [{"subnet": "${CNI_V6[$node]}::/64"}]],
    "routes": [$routes]
  }
}
EOF
  log "[$node] CNI configuration $dir/10-rvlab.conf ($CNI_MODE)"
}

# add_pod NODE: the next pod of NODE, named <node>p<i> (bridge mode: addresses
# .<i+2> and ::<i+2>; plugin modes: what host-local gives, the same on a fresh lab).
add_pod() {
  local node=$1 i=${CNI_PODS[$1]}
  local pod=${node}p$i
  add_ns "$pod"
  if [[ $CNI_MODE == bridge ]]; then
    bridge_pod "$node" "$pod" "${CNI_V4[$node]}.$((i + 2))" "${CNI_V6[$node]}::$((i + 2))"
  else
    plugin_pod "$node" "$pod"
  fi
  CNI_PODS[$node]=$((i + 1))
  POD_NODE[$pod]=$node
}

# bridge_pod NODE POD V4 V6: the stand-in: POD's eth0, host side rvp<pod> on cni0.
bridge_pod() {
  local node=$1 pod=$2 v4=$3 v6=$4 host=rvp$2
  ipn "$pod" link add eth0 mtu 1500 type veth peer name "$host" netns "$(ns "$node")"
  ipn "$pod" addr add "$v4/24" dev eth0
  ipn "$pod" addr add "$v6/64" dev eth0 nodad
  ipn "$pod" link set eth0 up
  ipn "$pod" route add default via "${CNI_V4[$node]}.1"
  ipn "$pod" -6 route add default via "${CNI_V6[$node]}::1"
  ipn "$node" link set "$host" master cni0 up
  POD_IP4[$pod]=$v4 POD_IP6[$pod]=$v6 POD_HOSTIF[$pod]=$host
}

# plugin_pod NODE POD: CNI ADD of the mode's plugin for POD; its addresses and host
# interface from the result.
plugin_pod() {
  local node=$1 pod=$2 conf=$CNI_STATE_DIR/$1/10-rvlab.conf type=$CNI_PLUGIN out v4 v6 host
  nq "$pod" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  log "[$node] CNI_COMMAND=ADD CNI_CONTAINERID=$pod CNI_NETNS=/var/run/netns/$(ns "$pod") CNI_IFNAME=eth0 CNI_PATH=$CNI_BIN $CNI_BIN/$type <$conf"
  out=$(nq "$node" env CNI_COMMAND=ADD CNI_CONTAINERID="$pod" CNI_NETNS="/var/run/netns/$(ns "$pod")" \
    CNI_IFNAME=eth0 CNI_PATH="$CNI_BIN" "$CNI_BIN/$type" <"$conf") ||
    die "[$node] CNI ADD of $pod ($type) failed: $(tr -s ' \n' ' ' <<<"$out")"
  read -r v4 v6 host < <(cni_result <<<"$out")
  [[ -n $v4 && -n $v6 && -n $host ]] || die "[$node] CNI ADD of $pod: no IPv4, IPv6 or host interface in $(tr -s ' \n' ' ' <<<"$out")"
  log "[$node] $pod: $v4 $v6, host interface $host"
  POD_IP4[$pod]=$v4 POD_IP6[$pod]=$v6 POD_HOSTIF[$pod]=$host
}

# cni_result < RESULT: "IPV4 IPV6 HOST_INTERFACE" of a CNI ADD result (the first
# address of each family; the interface outside the sandbox that is not cni0).
cni_result() {
  "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
addr = {4: "", 6: ""}
for ip in r.get("ips", []):
    a = ip["address"].split("/")[0]
    fam = 6 if ":" in a else 4
    addr[fam] = addr[fam] or a
host = [i["name"] for i in r.get("interfaces", []) if "sandbox" not in i and i["name"] != "cni0"]
print(addr[4], addr[6], host[0] if host else "")'
}

# pod_host_if POD: the host side of the pod's eth0 in its node, looked up in the
# running lab (the peer of eth0's link).
pod_host_if() {
  local peer
  peer=$(ip -n "$(ns "$1")" -o link show dev eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
  [[ -n $peer ]] || return 1
  ip -n "$(ns "${POD_NODE[$1]:-${1%p[0-9]*}}")" -o link show | sed -n "s/^$peer: \([^:@]*\)[@:].*/\1/p"
}

# pool_peers NODE: the other nodes of NODE's pool (same NODE_GW), in NODE_ORDER.
pool_peers() {
  local other
  for other in "${NODE_ORDER[@]}"; do
    [[ $other != "$1" && ${NODE_GW[$other]} == "${NODE_GW[$1]}" ]] && echo "$other"
  done
  true
}

# cni_connect: the routes between the nodes' pod CIDRs (after add_cni of every node).
cni_connect() {
  local node peer
  case $CNI_MODE in
    bridge)
      for node in "${NODE_ORDER[@]}"; do
        for peer in $(pool_peers "$node"); do bridge_routes "$node" "$peer" replace; done
      done
      ;;
    flannel) flannel_connect ;;
    calico) calico_connect ;;
  esac
}

# bridge_routes NODE PEER add|replace: NODE routes PEER's pod CIDRs via PEER's LAN addresses.
bridge_routes() {
  ipn "$1" route "$3" "${CNI_V4[$2]}.0/24" via "${NODE_IP[$2]}"
  ipn "$1" -6 route "$3" "${CNI_V6[$2]}::/64" via "${NODE_IP6[$2]}"
}

# cni_wait: waits (bounded) until the routes between the nodes are there (calico: BGP).
cni_wait() {
  [[ $CNI_MODE != calico ]] || calico_wait 30 "${NODE_ORDER[@]}"
}

# cni_relink NODE: after relink brought NODE's link back: what the mode lost with it.
cni_relink() {
  local node=$1 peer peers
  case $CNI_MODE in
    bridge) for peer in $(pool_peers "$node"); do bridge_routes "$node" "$peer" replace; done ;;
    flannel) ;; # the routes, neighbours and fdb entries are on flannel.1, which stayed up
    calico) mapfile -t peers < <(pool_peers "$node"); calico_wait 30 "$node" "${peers[@]}" ;;
  esac
}

# cni_stop: ends the mode's daemons (bird, found by pid files) and removes its state.
cni_stop() {
  bird_stop_all
  rm -rf "$CNI_STATE_DIR" "$BIRD_RUN_DIR"
}
