# shellcheck shell=bash
# Network-namespace topology and raven-agent helpers shared by the end-to-end
# tests (through lib.sh) and the lab (scripts/lab.sh). Sourced, not run; it
# installs no trap and creates nothing by itself.
#
# Every simulated machine is a network namespace: nodes (a1, b1, ...), pods
# (a1p0, ...), and whatever else the caller adds (routers, an "internet"). A
# node's pods come from cni.sh (add_cni, add_pod): by default a "CNI"
# stand-in, a bridge cni0 holding the first address of its pod CIDRs; a pod
# is a namespace whose eth0 (MTU 1500) is a veth whose host side, rvp<pod>,
# is a port of cni0. Each node runs its own raven-agent (ip
# netns exec ...) with its own WireGuard device name (wireguard-go's UAPI
# sockets are shared by all namespaces) and its own directory on a bpffs
# mounted outside /sys (ip netns exec remounts /sys, hiding /sys/fs/bpf).
#
# The caller sets, before sourcing:
#   NS_PREFIX NS_SUFFIX    namespace of NAME = $NS_PREFIX$NAME$NS_SUFFIX
#   WG_PREFIX WG_SUFFIX    WireGuard device of NODE = $WG_PREFIX$NODE$WG_SUFFIX (<= 15 chars)
#   BPF_ROOT               a bpffs mount point; a node pins under $BPF_ROOT/<node>
#   GW_FILE                the Gateway JSON file every agent watches (unless CLUSTER=1)
#   STATE_ROOT             a node's --state-dir is $STATE_ROOT/<node>
#   LOG_DIR                a node's agent log is $LOG_DIR/<node>.log
# and optionally:
#   CLUSTER=1              agents read the Gateways from the project's API server
#                          (start_cluster) instead of GW_FILE; raven-controller elects
#   CLUSTER_DIR            with CLUSTER=1: certificates, kubeconfig, discovery cache
#   API_IP                 with CLUSTER=1: the address of namespace "api", which the
#                          caller plugs into its topology before start_cluster
#   RAVEN_APISERVER RAVEN_CONTROLLER CRD_FILE KUBECTL   (defaults: build/, crd/, kubectl)
#   AGENT_LOG_LEVEL        --log-level of the agents (default debug)
#   AGENT_DETACH=1         start agents in their own session (setsid, nohup), so
#                          they outlive the calling script
#   PID_DIR                if set, start_agent writes $PID_DIR/<node>.pid
#   RAVEN_AGENT            the agent binary (default build/daemon/raven-agent)
#   POD_GLOB               the agents' --pod-interfaces (default 'rvp*'; cni_mode sets it)
#   NODE_AGENT_ARGS[node]  more agent arguments (word-split)
#
# Log lines go to fd 3 (opened on stdout if the caller has not opened it), so
# $(...) captures command output only (as netns.sh). Nothing here routes from
# the root namespace. Expects `set -o pipefail` (set here) and works under set -e.

: "${NS_PREFIX:?}" "${WG_PREFIX:?}" "${BPF_ROOT:?}" "${STATE_ROOT:?}" "${LOG_DIR:?}"
NS_SUFFIX=${NS_SUFFIX-} WG_SUFFIX=${WG_SUFFIX-}
AGENT_LOG_LEVEL=${AGENT_LOG_LEVEL:-debug}
AGENT_DETACH=${AGENT_DETACH:-0}
PID_DIR=${PID_DIR-}
POD_GLOB=${POD_GLOB:-'rvp*'}
set -o pipefail
{ true >&3; } 2>/dev/null || exec 3>&1

PATH=$PATH:/usr/sbin:/sbin # ip, bpftool, tcpdump live there; test runners may not have them in PATH
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/.." && pwd)
RAVEN_AGENT=${RAVEN_AGENT:-$REPO_DIR/build/daemon/raven-agent}
# The real interpreter: a version-manager shim in PATH can cost half a second a call.
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
UTIL=("$PYTHON" "$LAB_DIR/labutil.py")

# shellcheck disable=SC2034 # POD_* and friends are read by the callers
declare -a NAMESPACES=()
declare -A AGENT_PID=() NODE_IP=() NODE_PRIV=() NODE_SUBNETS=() NODE_GW=() NODE_KEY=()
declare -A NODE_AGENT_ARGS=() GW_ACTIVE=() GW_PUBLIC=() GW_NAT=() GW_ENDPOINTS=() NODE_PUBLIC=()
declare -A NODE_PUBPORT=() DAEMON_PID=() NODE_IP6=() NODE_DEV=() GW_EXPOSE=()
CLUSTER=${CLUSTER:-0}
declare -A POD_IP4=() POD_IP6=() POD_NODE=() CNI_V4=() CNI_V6=() CNI_PODS=()
declare -a GW_ORDER=() NODE_ORDER=()

# ---------------------------------------------------------------- logging
log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&3; }
pp() { log "$*"; "$@"; }
die() { log "FAIL: $*"; exit 1; }
ns() { printf '%s%s%s' "$NS_PREFIX" "$1" "$NS_SUFFIX"; }
# n NAME CMD...: run CMD in NAME's namespace, logged; nq: the same, quiet (for polling).
n() { local who=$1; shift; log "[$who] $*"; ip netns exec "$(ns "$who")" "$@"; }
nq() { local who=$1; shift; ip netns exec "$(ns "$who")" "$@"; }
ipn() { local who=$1; shift; log "[$who] ip $*"; ip -n "$(ns "$who")" "$@"; }
wg_dev() { printf '%s%s%s' "$WG_PREFIX" "$1" "$WG_SUFFIX"; }
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
ms_since() { printf '%d' $(( ($(now_us) - $1) / 1000 )); }

# ---------------------------------------------------------------- topology
add_ns() {
  pp ip netns add "$(ns "$1")"
  NAMESPACES+=("$(ns "$1")")
  nq "$1" ip link set lo up
}

# add_router NAME: a namespace that forwards (IPv4 and IPv6) and does not filter by source.
add_router() {
  add_ns "$1"
  nq "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv6.conf.default.accept_dad=0
}

# add_node NAME: a node namespace (a router that runs an agent).
add_node() {
  add_router "$1"
  NODE_ORDER+=("$1")
}

# link_nodes A IF_A ADDR_A B IF_B ADDR_B [ADDR6_A ADDR6_B]: a veth pair between two namespaces.
link_nodes() {
  local a=$1 ifa=$2 addra=$3 b=$4 ifb=$5 addrb=$6 addr6a=$7 addr6b=$8
  ipn "$a" link add "$ifa" type veth peer name "$ifb" netns "$(ns "$b")"
  ipn "$a" addr add "$addra" dev "$ifa"
  ipn "$b" addr add "$addrb" dev "$ifb"
  if [[ -n $addr6a ]]; then
    ipn "$a" addr add "$addr6a" dev "$ifa" nodad
    ipn "$b" addr add "$addr6b" dev "$ifb" nodad
  fi
  ipn "$a" link set "$ifa" up
  ipn "$b" link set "$ifb" up
}

# add_switch HUB BRIDGE [ADDR [ADDR6]]: a bridge (an L2 segment) in HUB's namespace.
add_switch() {
  local hub=$1 br=$2 addr=$3 addr6=$4
  ipn "$hub" link add "$br" type bridge
  [[ -z $addr ]] || ipn "$hub" addr add "$addr" dev "$br"
  [[ -z $addr6 ]] || ipn "$hub" addr add "$addr6" dev "$br" nodad
  ipn "$hub" link set "$br" up
}

# plug NODE IF ADDR HUB BRIDGE PORT [ADDR6]: NODE's interface IF (with ADDR, ADDR6) on
# the segment BRIDGE of HUB, through a veth whose other end, PORT, is a bridge port.
plug() {
  local node=$1 ifn=$2 addr=$3 hub=$4 br=$5 port=$6 addr6=$7
  ipn "$node" link add "$ifn" type veth peer name "$port" netns "$(ns "$hub")"
  ipn "$node" addr add "$addr" dev "$ifn"
  [[ -z $addr6 ]] || ipn "$node" addr add "$addr6" dev "$ifn" nodad
  ipn "$hub" link set "$port" master "$br" up
  ipn "$node" link set "$ifn" up
}

# The nodes' pod networking: add_cni, add_pod and the CNI modes of the lab.
# shellcheck source-path=SCRIPTDIR source=cni.sh
source "$LAB_DIR/cni.sh"

# ---------------------------------------------------------------- gateways
# define_gateway NAME ACTIVE_NODE PUBLIC_IP [UNDER_NAT (true|false)]
define_gateway() { GW_ORDER+=("$1"); GW_ACTIVE[$1]=$2; GW_PUBLIC[$1]=$3; GW_NAT[$1]=${4:-false}; }
# define_member NODE GATEWAY NODE_IP (the node's --node-ip and status privateIP)
define_member() { NODE_GW[$1]=$2; NODE_IP[$1]=$3; NODE_PRIV[$1]=$3; }
# define_endpoint GATEWAY NODE PUBLIC_IP: a candidate in spec.endpoints, in priority order
# (the gateway's under-NAT flag). Without any, spec.endpoints is the active endpoint alone.
# PUBLIC_PORT (default 4500) is where the node's router forwards to its port 4500.
define_endpoint() { GW_ENDPOINTS[$1]+="$2 "; NODE_PUBLIC[$2]=$3; NODE_PUBPORT[$2]=${4:-4500}; }

# The input of `labutil.py gateways` (see there).
gateway_spec() {
  local gw node
  for gw in "${GW_ORDER[@]}"; do
    node=${GW_ACTIVE[$gw]}
    echo "gateway $gw $node ${GW_PUBLIC[$gw]} 4500 ${NODE_KEY[$node]} ${GW_NAT[$gw]}"
    for node in ${GW_ENDPOINTS[$gw]}; do
      echo "endpoint $gw $node ${NODE_PUBLIC[$node]} 4500 ${GW_NAT[$gw]}"
    done
    for node in "${NODE_ORDER[@]}"; do
      [[ ${NODE_GW[$node]} == "$gw" ]] || continue
      echo "node $gw $node ${NODE_PRIV[$node]} ${NODE_SUBNETS[$node]}"
    done
  done
}

# write_file_atomically PATH < content (the agent watches the directory).
write_file_atomically() {
  local tmp
  tmp=$(dirname "$1")/.$(basename "$1").tmp
  cat >"$tmp"
  mv -f "$tmp" "$1"
}

# write_gateways ["PYTHON STATEMENT editing d / gw(name)"]: publish the Gateways.
# shellcheck disable=SC2120 # the edit is optional
write_gateways() {
  log "write $GW_FILE${1:+ (edited: $1)}"
  gateway_spec | "${UTIL[@]}" gateways ${1:+--edit "$1"} | write_file_atomically "$GW_FILE"
}

# shellcheck source-path=SCRIPTDIR source=control_plane.sh
source "$LAB_DIR/control_plane.sh"

# ---------------------------------------------------------------- agents
agent_cmd() {
  local node=$1 source
  if (( CLUSTER )); then
    source=(--kubeconfig="$CLUSTER_DIR/kubeconfig")
  else
    source=(--gateway-file="$GW_FILE")
  fi
  # shellcheck disable=SC2206 # extra args are word-split on purpose
  AGENT_ARGS=("$RAVEN_AGENT" --node-name="$node" --node-ip="${NODE_IP[$node]}"
    "${source[@]}" --pod-interfaces="$POD_GLOB" --bpffs-dir="$BPF_ROOT/$node"
    --state-dir="$STATE_ROOT/$node" --wireguard-device="$(wg_dev "$node")"
    --metrics-address="${NODE_IP[$node]}:10273" ${NODE_AGENT_ARGS[$node]})
}


# make_key NODE: creates the node's key with --show-public-key and records it.
make_key() {
  local node=$1 key
  agent_cmd "$node"
  log "[$node] ${AGENT_ARGS[*]} --show-public-key"
  key=$(nq "$node" "${AGENT_ARGS[@]}" --show-public-key 2>&3)
  [[ $key =~ ^[A-Za-z0-9+/]{43}=$ ]] || die "[$node] --show-public-key printed '$key'"
  NODE_KEY[$node]=$key
  log "[$node] public key $key"
}

# start_agent NODE: the node's agent in the background, logging to $LOG_DIR/NODE.log.
start_agent() {
  local node=$1
  agent_cmd "$node"
  log "[$node] ${AGENT_ARGS[*]} --log-level=$AGENT_LOG_LEVEL >>$LOG_DIR/$node.log 2>&1 &"
  if (( AGENT_DETACH )); then
    # A daemon keeps none of our descriptors (a caller waiting for EOF on a pipe would
    # hang). setsid execs (the subshell is no process group leader): $! is the agent.
    (
      for fd in /proc/self/fd/*; do
        fd=${fd##*/}
        if (( fd > 2 )); then exec {fd}>&-; fi
      done
      exec setsid nohup ip netns exec "$(ns "$node")" "${AGENT_ARGS[@]}" --log-level="$AGENT_LOG_LEVEL" \
        </dev/null >>"$LOG_DIR/$node.log" 2>&1
    ) &
  else
    ip netns exec "$(ns "$node")" "${AGENT_ARGS[@]}" --log-level="$AGENT_LOG_LEVEL" \
      >>"$LOG_DIR/$node.log" 2>&1 3>&- &
  fi
  AGENT_PID[$node]=$!
  [[ -z $PID_DIR ]] || echo "$!" >"$PID_DIR/$node.pid"
}

# stop_agent NODE [SIGNAL]: signal the agent and wait (bounded) for it to exit.
stop_agent() { stop_agents "${2:-TERM}" "$1"; }

# stop_agents SIGNAL NODE...: signal the nodes' agents, then wait (at most 5 s) for all
# of them to exit; SIGKILL for those that did not.
stop_agents() {
  local sig=$1 node pid i alive
  shift
  local -A stopping=()
  for node in "$@"; do
    pid=${AGENT_PID[$node]}
    [[ -n $pid ]] || continue
    unset 'AGENT_PID[$node]'
    [[ -z $PID_DIR ]] || rm -f "$PID_DIR/$node.pid"
    kill -"$sig" "$pid" 2>/dev/null && stopping[$node]=$pid
  done
  for (( i = 0; i < 50; i++ )); do
    alive=0
    for pid in "${stopping[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1 && break; done
    (( alive )) || break
    sleep 0.1
  done
  for node in "${!stopping[@]}"; do
    pid=${stopping[$node]}
    if kill -0 "$pid" 2>/dev/null; then
      log "[$node] agent $pid ignored SIG$sig for 5 s; SIGKILL"
      kill -9 "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
  done
}

check_agents_alive() {
  local node pid rc
  for node in "${!AGENT_PID[@]}"; do
    pid=${AGENT_PID[$node]}
    kill -0 "$pid" 2>/dev/null && continue
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    unset 'AGENT_PID[$node]'
    die "[$node] the agent (pid $pid) exited with status $rc; log: $LOG_DIR/$node.log"
  done
}

# kill_wireguard_go DEVICE_GLOB...: ends the wireguard-go daemons serving a matching
# device (left over when an agent could not remove its device); waits for them (bounded).
kill_wireguard_go() {
  local p glob i
  local -a argv pids=()
  for p in /proc/[0-9]*; do
    mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
    if (( ${#argv[@]} < 2 )) || [[ ${argv[0]##*/} != wireguard-go ]]; then continue; fi
    for glob in "$@"; do
      # shellcheck disable=SC2053 # a glob on purpose
      [[ ${argv[-1]} == $glob ]] || continue
      log "killing leftover wireguard-go ${p#/proc/} for ${argv[-1]}"
      kill "${p#/proc/}" 2>/dev/null && pids+=("${p#/proc/}")
      break
    done
  done
  for p in "${pids[@]}"; do
    for (( i = 0; i < 30; i++ )); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}

# teardown: stops the agents in AGENT_PID, runs --cleanup (with the same flags) for every
# node of NODE_ORDER whose namespace exists, ends leftover wireguard-go daemons of their
# devices, deletes NAMESPACES (last first), removes their UAPI sockets and unmounts BPF_ROOT.
teardown() {
  local node i
  stop_agents TERM "${!AGENT_PID[@]}"
  stop_daemons
  for node in "${NODE_ORDER[@]}"; do
    [[ -e /run/netns/$(ns "$node") ]] || continue
    if [[ ! -x $RAVEN_AGENT ]]; then
      log "[$node] no $RAVEN_AGENT: skipping --cleanup (deleting the namespace removes its devices)"
      continue
    fi
    agent_cmd "$node"
    timeout 15 ip netns exec "$(ns "$node")" "${AGENT_ARGS[@]}" --cleanup \
      >>"$LOG_DIR/$node.cleanup.log" 2>&1 || log "[$node] raven-agent --cleanup failed (see $LOG_DIR/$node.cleanup.log)"
  done
  local -a devs=()
  for node in "${NODE_ORDER[@]}"; do devs+=("$(wg_dev "$node")"); done
  (( ${#devs[@]} == 0 )) || kill_wireguard_go "${devs[@]}"
  for (( i = ${#NAMESPACES[@]} - 1; i >= 0; i-- )); do ip netns del "${NAMESPACES[i]}" 2>/dev/null || true; done
  for node in "${NODE_ORDER[@]}"; do rm -f "/var/run/wireguard/$(wg_dev "$node").sock"; done
  if mountpoint -q "$BPF_ROOT"; then umount "$BPF_ROOT" || log "umount $BPF_ROOT failed"; fi
}

# diagnostics: per node, the drop counters, the IPv4 route trie, `wg show` and the end of the log.
diagnostics() {
  local node
  log "---- diagnostics"
  log "controller: $(ip netns exec "$(ns api)" curl -s -m 2 "http://$API_IP:10272/healthz?verbose" 2>&1)"
  ip netns exec "$(ns api)" curl -s -m 2 "http://$API_IP:10272/metrics" 2>&1 |
    grep -E '^raven_controller_(is_leader|heartbeat_hold|reconcile)' | sed 's/^/    /' >&3
  for node in "${NODE_ORDER[@]}"; do
    if [[ -d $BPF_ROOT/$node ]]; then
      log "[$node] drops: $(bpftool map dump pinned "$BPF_ROOT/$node/raven_drops_v2" -j 2>/dev/null | "${UTIL[@]}" drops 2>&1)"
      log "[$node] routes4:"; bpftool map dump pinned "$BPF_ROOT/$node/raven_routes4_v1" -j 2>/dev/null | "${UTIL[@]}" routes 2>&1 | sed 's/^/    /' >&3
    fi
    log "[$node] wg:"; nq "$node" wg show "$(wg_dev "$node")" 2>&1 | sed 's/^/    /' >&3
    if [[ -f $LOG_DIR/$node.log ]]; then
      log "[$node] last lines of the agent log:"
      tail -n 25 "$LOG_DIR/$node.log" | sed 's/^/    /' >&3
    fi
  done
}

# ---------------------------------------------------------------- polling
# wait_for SECONDS WHAT CMD...: run CMD every 0.1 s until it succeeds; fail after SECONDS.
wait_for() {
  local limit=$1 what=$2 start deadline
  shift 2
  start=$(now_us)
  deadline=$(( start + limit * 1000000 ))
  while :; do
    if "$@" >/dev/null 2>&1; then
      log "ready after $(ms_since "$start") ms: $what"
      return 0
    fi
    check_agents_alive
    (( $(now_us) < deadline )) || die "timed out after ${limit}s waiting for: $what"
    sleep 0.1
  done
}

# wait_log NODE FROM_LINE REGEX SECONDS: wait for a line after FROM_LINE in NODE's log
# matching REGEX (extended, case-insensitive); prints it.
log_lines() { wc -l <"$LOG_DIR/$1.log"; }
log_has() { tail -n +"$(( $2 + 1 ))" "$LOG_DIR/$1.log" | grep -iE -m1 -- "$3"; }
wait_log() {
  local node=$1 from=$2 re=$3 limit=$4
  wait_for "$limit" "[$node] log line /$re/" log_has "$node" "$from" "$re"
  log "[$node] log: $(log_has "$node" "$from" "$re")"
}

# ---------------------------------------------------------------- observations
pinned() { printf '%s/%s/%s' "$BPF_ROOT" "$1" "$2"; }
# routes NODE 4|6: the node's route trie, one line per prefix (see labutil.py routes).
routes() { bpftool map dump pinned "$(pinned "$1" "raven_routes$2_v1")" -j | "${UTIL[@]}" routes; }
# has_routes NODE PREFIX...: every PREFIX is in the node's tries.
has_routes() {
  local node=$1 all prefix
  shift
  all=$'\n'$(routes "$node" 4)$'\n'$(routes "$node" 6) || return 1
  for prefix in "$@"; do [[ $all == *$'\n'"$prefix "* ]] || return 1; done
}
# peer_packets NODE: packets counted towards all peers, summed over CPUs.
peer_packets() {
  local out
  out=$(bpftool map dump pinned "$(pinned "$1" raven_peer_stats_v1)" -j | "${UTIL[@]}" stats)
  printf '%s' "${out%% *}"
}
wg_peers() { nq "$1" wg show "$(wg_dev "$1")" dump | "${UTIL[@]}" wgpeers; }
# tunnel_host KEY: the AllowedIPs entry of the tunnel address of the WireGuard key KEY.
tunnel_host() { echo "$("${UTIL[@]}" tunneladdr "$1")/128"; }
ifindex_of() { nq "$1" ip -j link show dev "$2" | "${UTIL[@]}" ifindex; }
link_stats() { nq "$1" ip -j -s link show dev "$2" | "${UTIL[@]}" linkstats; }

ping_ok() { nq "$1" ping -c 1 -W 1 "$2"; }
# check_ping FROM_POD TO_ADDR: three echo requests, all must be answered.
check_ping() {
  local out
  out=$(n "$1" ping -c 3 -i 0.2 -W 2 "$2") || { echo "$out"; die "ping $1 -> $2 failed"; }
  log "  $(grep -E 'packets transmitted' <<<"$out")"
}

# shellcheck disable=SC2120 # the pods are optional
# pod_list [POD...]: the input of `labutil.py pingmatrix` for the given pods (default:
# all, ordered by node as in NODE_ORDER), grouped by Gateway.
pod_list() {
  local pod node
  local -a pods=("$@")
  if (( ${#pods[@]} == 0 )); then
    for node in "${NODE_ORDER[@]}"; do
      for pod in $(printf '%s\n' "${!POD_NODE[@]}" | sort); do
        [[ ${POD_NODE[$pod]} == "$node" ]] && pods+=("$pod")
      done
    done
  fi
  for pod in "${pods[@]}"; do
    node=${POD_NODE[$pod]}
    echo "pod $pod $(ns "$pod") ${NODE_GW[$node]:-none} ${POD_IP4[$pod]} ${POD_IP6[$pod]}"
  done
}
