# Shared helpers for Raven's end-to-end tests (sourced, not run).
#
# Every simulated machine is a network namespace named rv-<name>-$$: nodes
# (a1, b1, ...) and pods (a1p0, ...). A node gets a "CNI" stand-in: a bridge
# cni0 holding the first address of its pod CIDRs; a pod is a namespace whose
# eth0 (MTU 1500) is a veth whose host side, rvp<pod>, is a port of cni0.
# Each node runs its own raven-agent (ip netns exec ... &) with its own
# WireGuard device name (wireguard-go's UAPI sockets are shared by all
# namespaces) and its own directory on a bpffs mounted outside /sys (ip netns
# exec remounts /sys, hiding /sys/fs/bpf).
#
# Nothing is routed from the root namespace; everything this creates is
# removed by cleanup (installed as the EXIT trap by e2e_init).

set -e
set -o pipefail
exec 3>&1 # log lines go to fd 3, so $(...) captures command output only (as netns.sh)

PATH=$PATH:/usr/sbin:/sbin # ip, bpftool, tcpdump live there; test runners may not have them in PATH
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
ID=$$
RUN_DIR=/run/raven-e2e-$ID
BPF_ROOT=$RUN_DIR/bpf
GW_FILE=$RUN_DIR/gateways/gateways.json
# The real interpreter: a version-manager shim in PATH can cost half a second a call.
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
UTIL=("$PYTHON" "$E2E_DIR/e2e_util.py")

# shellcheck disable=SC2034 # POD_* and friends are read by the test scripts
declare -a NAMESPACES=() BG_PIDS=()
declare -A AGENT_PID=() NODE_IP=() NODE_PRIV=() NODE_SUBNETS=() NODE_GW=() NODE_KEY=()
declare -A NODE_AGENT_ARGS=() GW_ACTIVE=() GW_PUBLIC=() POD_IP4=() POD_IP6=() POD_NODE=()
declare -a GW_ORDER=() NODE_ORDER=()

# ---------------------------------------------------------------- logging
log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&3; }
pp() { log "$*"; "$@"; }
die() { log "FAIL: $*"; exit 1; }
result() { printf 'RESULT %s\n' "$*" >&3; }
ns() { printf 'rv-%s-%s' "$1" "$ID"; }
# n NAME CMD...: run CMD in NAME's namespace, logged; nq: the same, quiet (for polling).
n() { local who=$1; shift; log "[$who] $*"; ip netns exec "$(ns "$who")" "$@"; }
nq() { local who=$1; shift; ip netns exec "$(ns "$who")" "$@"; }
ipn() { local who=$1; shift; log "[$who] ip $*"; ip -n "$(ns "$who")" "$@"; }
wg_dev() { printf 'rwg-%s-%s' "$1" "$ID"; }
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
ms_since() { printf '%d' $(( ($(now_us) - $1) / 1000 )); }

# ---------------------------------------------------------------- preconditions
e2e_init() {
  if (( EUID != 0 )); then echo "SKIP: needs root"; exit 77; fi
  local tool
  for tool in ip bpftool wg wireguard-go tcpdump socat python3 ping sha256sum timeout; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
  done
  RAVEN_AGENT=${RAVEN_AGENT:-$REPO_DIR/build/daemon/raven-agent}
  [[ -x $RAVEN_AGENT ]] || die "RAVEN_AGENT=$RAVEN_AGENT is not an executable"
  RAVEN_AGENT=$(readlink -f "$RAVEN_AGENT")
  trap 'e2e_exit $?' EXIT
  BPF_BEFORE=$(find /sys/fs/bpf -maxdepth 1 2>/dev/null | sort | tr '\n' ' ')
  pp mkdir -p "$BPF_ROOT" "$RUN_DIR/gateways" "$RUN_DIR/state" "$RUN_DIR/logs" "$RUN_DIR/data"
  pp mount -t bpf bpf "$BPF_ROOT"
  log "agent: $RAVEN_AGENT; run dir: $RUN_DIR"
}

# ---------------------------------------------------------------- cleanup
e2e_exit() {
  local rc=$1
  trap - EXIT
  set +e
  if (( rc != 0 )); then diagnostics; fi
  cleanup
  if (( rc == 0 )); then log "PASS: $(basename "$0")"; else log "FAIL: $(basename "$0") (exit $rc)"; fi
  exit "$rc"
}

diagnostics() {
  local node
  log "---- diagnostics"
  for node in "${NODE_ORDER[@]}"; do
    if [[ -d $BPF_ROOT/$node ]]; then
      log "[$node] drops: $(bpftool map dump pinned "$BPF_ROOT/$node/raven_drops_v1" -j 2>/dev/null | "${UTIL[@]}" drops 2>&1)"
      log "[$node] routes4:"; bpftool map dump pinned "$BPF_ROOT/$node/raven_routes4_v1" -j 2>/dev/null | "${UTIL[@]}" routes 2>&1 | sed 's/^/    /'
    fi
    log "[$node] wg:"; nq "$node" wg show "$(wg_dev "$node")" 2>&1 | sed 's/^/    /'
    if [[ -f $RUN_DIR/logs/$node.log ]]; then
      log "[$node] last lines of the agent log:"
      tail -n 25 "$RUN_DIR/logs/$node.log" | sed 's/^/    /'
    fi
  done
}

# Stops agents, runs their --cleanup, ends every process started here, deletes
# namespaces, unmounts the bpffs and removes the run directory.
cleanup() {
  local pid node dev p i
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for node in "${!AGENT_PID[@]}"; do stop_agent "$node" TERM; done
  for node in "${NODE_ORDER[@]}"; do
    agent_cmd "$node"
    timeout 15 ip netns exec "$(ns "$node")" "${AGENT_ARGS[@]}" --cleanup \
      >>"$RUN_DIR/logs/$node.cleanup.log" 2>&1 || log "[$node] raven-agent --cleanup failed (see $node.cleanup.log)"
  done
  # wireguard-go daemons of our devices (unique names carry $$) that outlived --cleanup.
  for node in "${NODE_ORDER[@]}"; do
    dev=$(wg_dev "$node")
    for p in /proc/[0-9]*; do
      [[ $( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) == "wireguard-go $dev "* ]] || continue
      log "killing leftover wireguard-go ${p#/proc/} for $dev"
      kill "${p#/proc/}" 2>/dev/null
    done
  done
  for pid in "${BG_PIDS[@]}"; do
    for (( i = 0; i < 20; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  for (( i = ${#NAMESPACES[@]} - 1; i >= 0; i-- )); do ip netns del "${NAMESPACES[i]}" 2>/dev/null; done
  for node in "${NODE_ORDER[@]}"; do rm -f "/var/run/wireguard/$(wg_dev "$node").sock"; done
  if [[ -n $E2E_KEEP_LOGS && -d $RUN_DIR/logs ]]; then
    mkdir -p "$E2E_KEEP_LOGS" && cp -a "$RUN_DIR/logs/." "$E2E_KEEP_LOGS/" && log "logs kept in $E2E_KEEP_LOGS"
  fi
  mountpoint -q "$BPF_ROOT" && umount "$BPF_ROOT"
  [[ -d $RUN_DIR ]] && rm -rf "$RUN_DIR"
  if [[ $(find /sys/fs/bpf -maxdepth 1 2>/dev/null | sort | tr '\n' ' ') != "$BPF_BEFORE" ]]; then
    log "WARNING: /sys/fs/bpf changed during the test (an agent pinning outside --bpffs-dir, or another user of the machine)"
  fi
}

# ---------------------------------------------------------------- topology
add_ns() {
  pp ip netns add "$(ns "$1")"
  NAMESPACES+=("$(ns "$1")")
  nq "$1" ip link set lo up
}

# add_node NAME: a node namespace that forwards and does not filter by source.
add_node() {
  local node=$1
  add_ns "$node"
  NODE_ORDER+=("$node")
  nq "$node" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv6.conf.default.accept_dad=0
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

# add_cni NODE V4_PREFIX V6_PREFIX: bridge cni0 with V4_PREFIX.1/24 and V6_PREFIX::1/64,
# e.g. add_cni a1 100.64.1 fd64:1 (pod CIDRs 100.64.1.0/24, fd64:1::/64).
add_cni() {
  local node=$1 v4=$2 v6=$3
  ipn "$node" link add cni0 type bridge
  ipn "$node" addr add "$v4.1/24" dev cni0
  ipn "$node" addr add "$v6::1/64" dev cni0 nodad
  ipn "$node" link set cni0 up
  NODE_SUBNETS[$node]="$v4.0/24,$v6::/64"
  CNI_V4[$node]=$v4 CNI_V6[$node]=$v6 CNI_PODS[$node]=0
}
declare -A CNI_V4=() CNI_V6=() CNI_PODS=()

# add_pod NODE: the next pod of NODE, named <node>p<i>, address .<i+2> / ::<i+2>.
add_pod() {
  local node=$1 i=${CNI_PODS[$1]}
  local pod=${node}p$i host=rvp${node}p$i
  local v4=${CNI_V4[$node]}.$((i + 2)) v6=${CNI_V6[$node]}::$((i + 2))
  add_ns "$pod"
  ipn "$pod" link add eth0 mtu 1500 type veth peer name "$host" netns "$(ns "$node")"
  ipn "$pod" addr add "$v4/24" dev eth0
  ipn "$pod" addr add "$v6/64" dev eth0 nodad
  ipn "$pod" link set eth0 up
  ipn "$pod" route add default via "${CNI_V4[$node]}.1"
  ipn "$pod" -6 route add default via "${CNI_V6[$node]}::1"
  ipn "$node" link set "$host" master cni0 up
  CNI_PODS[$node]=$((i + 1))
  # shellcheck disable=SC2034 # read by the test scripts
  POD_IP4[$pod]=$v4 POD_IP6[$pod]=$v6 POD_NODE[$pod]=$node
}

# ---------------------------------------------------------------- gateways
# define_gateway NAME ACTIVE_NODE PUBLIC_IP
define_gateway() { GW_ORDER+=("$1"); GW_ACTIVE[$1]=$2; GW_PUBLIC[$1]=$3; }
# define_member NODE GATEWAY NODE_IP (the node's --node-ip and status privateIP)
define_member() { NODE_GW[$1]=$2; NODE_IP[$1]=$3; NODE_PRIV[$1]=$3; }

gateway_spec() {
  local gw node
  for gw in "${GW_ORDER[@]}"; do
    node=${GW_ACTIVE[$gw]}
    echo "gateway $gw $node ${GW_PUBLIC[$gw]} 4500 ${NODE_KEY[$node]}"
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

# ---------------------------------------------------------------- agents
agent_cmd() {
  local node=$1
  # shellcheck disable=SC2206 # extra args are word-split on purpose
  AGENT_ARGS=("$RAVEN_AGENT" --node-name="$node" --node-ip="${NODE_IP[$node]}"
    --gateway-file="$GW_FILE" --pod-interfaces='rvp*' --bpffs-dir="$BPF_ROOT/$node"
    --state-dir="$RUN_DIR/state/$node" --wireguard-device="$(wg_dev "$node")"
    ${NODE_AGENT_ARGS[$node]})
}

# make_key NODE: creates the node's key with --show-public-key and records it.
make_key() {
  local node=$1 key
  agent_cmd "$node"
  log "[$node] ${AGENT_ARGS[*]} --show-public-key"
  key=$(nq "$node" "${AGENT_ARGS[@]}" --show-public-key)
  [[ $key =~ ^[A-Za-z0-9+/]{43}=$ ]] || die "[$node] --show-public-key printed '$key'"
  NODE_KEY[$node]=$key
  log "[$node] public key $key"
}

start_agent() {
  local node=$1
  agent_cmd "$node"
  log "[$node] ${AGENT_ARGS[*]} --log-level=debug 2>>logs/$node.log &"
  ip netns exec "$(ns "$node")" "${AGENT_ARGS[@]}" --log-level=debug >>"$RUN_DIR/logs/$node.log" 2>&1 &
  AGENT_PID[$node]=$!
}

# stop_agent NODE [SIGNAL]: signal the agent and wait (bounded) for it to exit.
stop_agent() {
  local node=$1 sig=${2:-TERM} pid=${AGENT_PID[$1]} i
  [[ -n $pid ]] || return 0
  unset 'AGENT_PID[$node]'
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for (( i = 0; i < 50; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "[$node] agent $pid ignored SIG$sig for 5 s; SIGKILL"
    kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

check_agents_alive() {
  local node pid rc
  for node in "${!AGENT_PID[@]}"; do
    pid=${AGENT_PID[$node]}
    kill -0 "$pid" 2>/dev/null && continue
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    unset 'AGENT_PID[$node]'
    die "[$node] the agent (pid $pid) exited with status $rc; log: $RUN_DIR/logs/$node.log"
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
log_lines() { wc -l <"$RUN_DIR/logs/$1.log"; }
log_has() { tail -n +"$(( $2 + 1 ))" "$RUN_DIR/logs/$1.log" | grep -iE -m1 -- "$3"; }
wait_log() {
  local node=$1 from=$2 re=$3 limit=$4
  wait_for "$limit" "[$node] log line /$re/" log_has "$node" "$from" "$re"
  log "[$node] log: $(log_has "$node" "$from" "$re")"
}

# ---------------------------------------------------------------- observations
pinned() { printf '%s/%s/%s' "$BPF_ROOT" "$1" "$2"; }
# routes NODE 4|6: the node's route trie, one line per prefix (see e2e_util.py routes).
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
ifindex_of() { nq "$1" ip -j link show dev "$2" | "${UTIL[@]}" ifindex; }
link_stats() { nq "$1" ip -j -s link show dev "$2" | "${UTIL[@]}" linkstats; }

ping_ok() { nq "$1" ping -c 1 -W 1 "$2"; }
# check_ping FROM_POD TO_ADDR: three echo requests, all must be answered.
check_ping() {
  local out
  out=$(n "$1" ping -c 3 -i 0.2 -W 2 "$2") || { echo "$out"; die "ping $1 -> $2 failed"; }
  log "  $(grep -E 'packets transmitted' <<<"$out")"
}

# ---------------------------------------------------------------- traffic
# capture_start NODE IFACE NAME: tcpdump into $RUN_DIR/data/NAME.pcap, polled until listening.
capture_start() {
  local node=$1 dev=$2 name=$3
  log "[$node] tcpdump -i $dev -nn -U -s 200 -w $name.pcap &"
  ip netns exec "$(ns "$node")" tcpdump -i "$dev" -nn -U -s 200 -Z root \
    -w "$RUN_DIR/data/$name.pcap" 2>"$RUN_DIR/data/$name.tcpdump.log" &
  CAPTURE_PID[$name]=$!
  BG_PIDS+=("$!")
  wait_for 10 "tcpdump on $node/$dev" grep -q 'listening on' "$RUN_DIR/data/$name.tcpdump.log"
}
declare -A CAPTURE_PID=()
capture_stop() {
  local pid=${CAPTURE_PID[$1]}
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  log "capture $1: $(grep -E 'packets (captured|dropped by kernel)' "$RUN_DIR/data/$1.tcpdump.log" | tr '\n' ' ')"
}

# check_underlay_capture NAME MIN_WG_DATA: every packet of the capture is WireGuard on UDP 4500,
# ARP or NDP/MLD; no pod address appears in clear; at least MIN_WG_DATA WireGuard data packets.
check_underlay_capture() {
  local name=$1 min=$2 pcap=$RUN_DIR/data/$1.pcap text=$RUN_DIR/data/$1.txt bad summary
  tcpdump -nn -r "$pcap" >"$text" 2>/dev/null
  log "capture $name: $(wc -l <"$text") packets; first lines:"
  head -n 3 "$text" | sed 's/^/    /' >&3
  bad=$(LC_ALL=C grep -vE '^[0-9:.]+ (IP6? [0-9a-f.:]+\.4500 > [0-9a-f.:]+\.4500: UDP(-encap: ESP\([^)]*\))?, length [0-9]+$|ARP, |IP6 [0-9a-f:]+ > [0-9a-f:]+: (HBH )?ICMP6, (neighbor|router|multicast listener))' "$text" | head -n 10 || true)
  [[ -z $bad ]] || { echo "$bad" >&3; die "capture $name: packets other than UDP 4500 / ARP / NDP on the underlay"; }
  ! LC_ALL=C grep -m 3 -E '100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|fd64:' "$text" >&3 || die "capture $name: a pod address in clear"
  summary=$("${UTIL[@]}" pcap "$pcap" 4500 100.64.0.0/10 fd64::/16)
  log "capture $name: $summary"
  if ! [[ $summary =~ wg_data=([0-9]+) ]] || (( BASH_REMATCH[1] < min )); then
    die "capture $name: fewer than $min WireGuard data packets"
  fi
  [[ $summary == *" other=0 pod_addr=0"* ]] || die "capture $name: non-WireGuard packets"
  result "$name.wireguard_data_packets=${BASH_REMATCH[1]}"
}

# make_payload MB: $RUN_DIR/data/payload.bin of MB MiB of random bytes; sets PAYLOAD_SHA.
make_payload() {
  pp head -c "$(( $1 * 1024 * 1024 ))" /dev/urandom >"$RUN_DIR/data/payload.bin"
  PAYLOAD_SHA=$(sha256sum "$RUN_DIR/data/payload.bin" | cut -d' ' -f1)
  PAYLOAD_MB=$1
}

listening() { nq "$1" ss -Hltn "sport = :$2" | grep -q LISTEN; }

# bulk_transfer FROM_POD TO_POD ADDR NAME: sends the payload over TCP with socat; checks
# sha256 and prints the throughput.
bulk_transfer() {
  local from=$1 to=$2 addr=$3 name=$4 port=5001 listen=TCP4-LISTEN connect
  local out=$RUN_DIR/data/$name.received start ms srv sha
  connect="TCP4:$addr:$port"
  if [[ $addr == *:* ]]; then listen=TCP6-LISTEN connect="TCP6:[$addr]:$port"; fi
  log "[$to] socat -u $listen:$port OPEN:$name.received &"
  ip netns exec "$(ns "$to")" timeout 120 socat -u "$listen:$port,reuseaddr" "OPEN:$out,creat,trunc" &
  srv=$!
  BG_PIDS+=("$srv")
  wait_for 10 "socat listening in $to" listening "$to" "$port"
  start=$(now_us)
  n "$from" timeout 120 socat -u "OPEN:$RUN_DIR/data/payload.bin" "$connect" || die "$name: socat client failed"
  wait "$srv" || die "$name: socat server failed"
  ms=$(ms_since "$start")
  sha=$(sha256sum "$out" | cut -d' ' -f1)
  log "$name: sent $PAYLOAD_MB MiB, received $(stat -c %s "$out") bytes, sha256 ${sha:0:16}… (sent ${PAYLOAD_SHA:0:16}…)"
  [[ $sha == "$PAYLOAD_SHA" ]] || die "$name: received data differs from sent data"
  (( ms > 0 )) || ms=1
  result "$name.mib=$PAYLOAD_MB $name.ms=$ms $name.mbit_per_s=$(( PAYLOAD_MB * 8 * 1048576 / 1000 / ms ))"
  rm -f "$out"
}
