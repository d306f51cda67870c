# shellcheck shell=bash
# Calico's routes between the nodes (CNI mode calico, see cni.sh), as Calico
# in BGP mode without encapsulation makes them: a node's pod CIDRs are its
# blocks, each a blackhole route on the node (calico_block; the ptp plugin
# adds the /32 and /128 routes of its pods), and bird, one per node in the
# node's namespace, exchanges them over iBGP with the other nodes of the SAME
# pool only: an IPv4 session between the LAN IPv4 addresses for the IPv4
# block, an IPv6 session between the LAN IPv6 addresses for the IPv6 one. It
# exports the node's own blocks and imports the peers' into the kernel (proto
# bird, next hop the peer's LAN address). Timers are short, so that sessions
# come up in about a second and notice a dead link in 3 s.
#
# Files of node N: $BIRD_RUN_DIR/N.conf, N.ctl (birdc -s), N.pid; its log
# $LOG_DIR/bird-N.log. bird_stop_all ends them, found by their pid files
# (and, for a lost pid file, by their command line). Needs NODE_IP,
# NODE_IP6, NODE_GW, CNI_V4 and CNI_V6 of every node in NODE_ORDER.

BIRD=${BIRD:-/usr/sbin/bird}
BIRDC=${BIRDC:-/usr/sbin/birdc}
BIRD_RUN_DIR=${BIRD_RUN_DIR:-$STATE_ROOT/bird}
CALICO_AS=64512

# calico_block NODE: the blackhole routes of the node's blocks.
calico_block() {
  ipn "$1" route add blackhole "${CNI_V4[$1]}.0/24"
  ipn "$1" -6 route add blackhole "${CNI_V6[$1]}::/64"
}

# bird_conf NODE: the node's bird configuration.
bird_conf() {
  local node=$1 peer
  cat <<EOF
# bird of lab node $node (CNI mode calico), written by lab/cni_calico.sh
router id ${NODE_IP[$node]};
log stderr all;
debug protocols { states };
protocol device { scan time 10; }
protocol kernel kernel4 { ipv4 { import none; export where source = RTS_BGP; }; }
protocol kernel kernel6 { ipv6 { import none; export where source = RTS_BGP; }; }
# The node's blocks (blackhole routes in the kernel too).
protocol static block4 { ipv4; route ${CNI_V4[$node]}.0/24 blackhole; }
protocol static block6 { ipv6; route ${CNI_V6[$node]}::/64 blackhole; }
template bgp pool {
  local as $CALICO_AS;
  direct;                 # the peers share the LAN: next hop = the peer's LAN address
  connect delay time 0;   # short timers for the lab (defaults 5, 120, 240 and 80 s)
  connect retry time 1;
  error wait time 1, 5;
  hold time 3;
  keepalive time 1;
}
EOF
  for peer in $(pool_peers "$node"); do
    cat <<EOF
protocol bgp ${peer}_v4 from pool {
  local ${NODE_IP[$node]} as $CALICO_AS;
  neighbor ${NODE_IP[$peer]} as $CALICO_AS;
  ipv4 { import all; export where source = RTS_STATIC; next hop self; };
}
protocol bgp ${peer}_v6 from pool {
  local ${NODE_IP6[$node]} as $CALICO_AS;
  neighbor ${NODE_IP6[$peer]} as $CALICO_AS;
  ipv6 { import all; export where source = RTS_STATIC; next hop self; };
}
EOF
  done
}

# bird_start NODE: the node's bird, in its namespace, in the foreground of its own
# session (start_daemon; not kept in DAEMON_PID: bird_stop_all ends it).
bird_start() {
  local node=$1 d=$BIRD_RUN_DIR
  bird_conf "$node" >"$d/$node.conf"
  PID_DIR='' start_daemon "bird-$node" "$LOG_DIR/bird-$node.log" ip netns exec "$(ns "$node")" \
    "$BIRD" -f -c "$d/$node.conf" -s "$d/$node.ctl" -P "$d/$node.pid"
  unset "DAEMON_PID[bird-$node]"
}

# calico_connect: a bird on every node.
calico_connect() {
  local node
  mkdir -p "$BIRD_RUN_DIR"
  for node in "${NODE_ORDER[@]}"; do bird_start "$node"; done
}

# calico_has_routes NODE PEER...: NODE's kernel has bird's routes to the PEERs' blocks.
calico_has_routes() {
  local node=$1 peer have
  shift
  have=$'\n'$(ip -n "$(ns "$node")" route show proto bird; ip -n "$(ns "$node")" -6 route show proto bird)
  for peer in "$@"; do
    [[ $have == *$'\n'"${CNI_V4[$peer]}.0/24 via ${NODE_IP[$peer]} "* &&
      $have == *$'\n'"${CNI_V6[$peer]}::/64 via ${NODE_IP6[$peer]} "* ]] || return 1
  done
}

# calico_wait SECONDS NODE...: waits (polling, at most SECONDS for each) until
# every NODE has the routes to its pool peers' blocks.
calico_wait() {
  local limit=$1 node
  shift
  local -a peers
  for node in "$@"; do
    mapfile -t peers < <(pool_peers "$node")
    (( ${#peers[@]} )) || continue
    wait_for "$limit" "[$node] BGP routes to the blocks of ${peers[*]}" calico_has_routes "$node" "${peers[@]}"
  done
}

# bird_pid NODE: the pid of the node's running bird, from its pid file.
bird_pid() {
  local pid argv
  pid=$(cat "$BIRD_RUN_DIR/$1.pid" 2>/dev/null) || return 1
  argv=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $argv == *bird*" -s $BIRD_RUN_DIR/$1.ctl "* ]] && echo "$pid"
}

# bird_status NODE: "bird <pid>, BGP sessions established N/M" (fails unless all are).
bird_status() {
  local pid out
  pid=$(bird_pid "$1") || { echo "bird NOT RUNNING (see $LOG_DIR/bird-$1.log)"; return 1; }
  out=$("$BIRDC" -s "$BIRD_RUN_DIR/$1.ctl" show protocols 2>&1) || true
  awk -v pid="$pid" '$2 == "BGP" { n++; if (/Established/) up++ }
    END { printf "bird %s, BGP sessions established %d/%d\n", pid, up, n; exit !(n && up == n) }' <<<"$out"
}

# bird_stop_all: ends every bird of the lab: those of the pid files, and any bird
# whose command line names BIRD_RUN_DIR (a lost pid file); waits (bounded), then SIGKILL.
bird_stop_all() {
  local f p i alive
  local -a argv pids=()
  for f in "$BIRD_RUN_DIR"/*.pid; do
    [[ -f $f ]] || continue
    p=$(bird_pid "$(basename "$f" .pid)") && pids+=("$p")
  done
  for p in /proc/[0-9]*; do
    mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
    [[ ${argv[0]##*/} == bird && " ${argv[*]} " == *" $BIRD_RUN_DIR/"* ]] || continue
    [[ " ${pids[*]} " == *" ${p#/proc/} "* ]] || pids+=("${p#/proc/}")
  done
  (( ${#pids[@]} )) || return 0
  log "stopping bird ${pids[*]}"
  kill "${pids[@]}" 2>/dev/null || true
  for (( i = 0; i < 30; i++ )); do
    alive=0
    for p in "${pids[@]}"; do is_running "$p" && alive=1 && break; done
    (( alive )) || return 0
    sleep 0.1
  done
  log "bird ${pids[*]}: SIGKILL"
  kill -9 "${pids[@]}" 2>/dev/null || true
}

# is_running PID: the process exists and is no zombie.
is_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}
