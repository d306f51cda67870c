#!/bin/bash
# Two node pools, one gateway node each, joined only by a WireGuard tunnel
# that raven-agent sets up from a Gateway file.
#
#   pod a1p0 100.64.1.2 fd64:1::2 ─┐                      ┌─ pod b1p0 100.64.2.2 fd64:2::2
#   pod a1p1 100.64.1.3 fd64:1::3 ─┤                      ├─ pod b1p1 100.64.2.3 fd64:2::3
#                          rvp* veths                rvp* veths
#                     ┌─────────┴───────────┐    ┌─────────┴───────────┐
#                     │ a1   cni0 100.64.1.1│    │ b1   cni0 100.64.2.1│
#                     │ raven-agent (gw-a)  │    │ raven-agent (gw-b)  │
#                     │ ul0 198.18.0.1/24   ├────┤ ul0 198.18.0.2/24   │
#                     └─────────────────────┘    └─────────────────────┘
#                       underlay: the only link; no route to the other pool's pods
#
# Checks: (a) cross-pool pings v4/v6 between every pod pair, and from a pod
# (a1p2, 100.64.1.4) created after the agent started; (d) the route trie
# decoded by bpftool and the WireGuard peer; (g) same-pool traffic is left alone
# (per-peer counters do not move); (b) 50 MiB over TCP each way (v4, v6) with
# sha256 and throughput, while (c) the underlay carries only WireGuard; (f) DF
# pings at the tunnel MTU get replies or an ICMP error, never silence; (e) a
# kill -9 of an agent during a 10 s ping, 0.5 s with no agent, then a restart:
# at most 1 packet lost; (h) --cleanup removes what the agent made.
#
# Run: RAVEN_AGENT=build/daemon/raven-agent tests/e2e/two_pools.sh   (as root)

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
e2e_init

log "== topology"
add_node a1
add_node b1
link_nodes a1 ul0 198.18.0.1/24 b1 ul0 198.18.0.2/24
add_cni a1 100.64.1 fd64:1
add_cni b1 100.64.2 fd64:2
add_pod a1
add_pod a1
add_pod b1
add_pod b1
define_gateway gw-a a1 198.18.0.1
define_gateway gw-b b1 198.18.0.2
define_member a1 gw-a 198.18.0.1
define_member b1 gw-b 198.18.0.2
# Sanity: the pools really are separate until the agents run.
! nq a1p0 ping -c 1 -W 1 "${POD_IP4[b1p0]}" >/dev/null || die "pools reachable without raven"

log "== agents"
make_key a1
make_key b1
write_gateways
t0=$(now_us)
start_agent a1
start_agent b1
wait_for 30 "a1p0 -> b1p0 ping" ping_ok a1p0 "${POD_IP4[b1p0]}"
result "startup_to_first_cross_pool_reply_ms=$(ms_since "$t0")"
wait_for 10 "a1 routes gw-b's subnets" has_routes a1 100.64.2.0/24 fd64:2::/64
wait_for 10 "b1 routes gw-a's subnets" has_routes b1 100.64.1.0/24 fd64:1::/64
wait_for 10 "b1p0 -> a1p0 ping6" ping_ok b1p0 "${POD_IP6[a1p0]}"

log "== (a) cross-pool ping, every pod pair, both families, both directions"
for src in a1p0 a1p1 b1p0 b1p1; do
  for dst in a1p0 a1p1 b1p0 b1p1; do
    [[ ${POD_NODE[$src]} != "${POD_NODE[$dst]}" ]] || continue
    check_ping "$src" "${POD_IP4[$dst]}"
    check_ping "$src" "${POD_IP6[$dst]}"
  done
done

log "== (a') a pod created while the agent runs is picked up (--pod-interfaces glob)"
add_pod a1
wait_for 10 "new pod a1p2 -> b1p1 ping" ping_ok a1p2 "${POD_IP4[b1p1]}"
check_ping a1p2 "${POD_IP6[b1p1]}"

log "== (d) route tries and WireGuard peers"
wg_ifindex=$(ifindex_of a1 "$(wg_dev a1)")
routes4=$(bpftool map dump pinned "$(pinned a1 raven_routes4_v1)" -j | "${UTIL[@]}" routes --need-btf)
routes6=$(bpftool map dump pinned "$(pinned a1 raven_routes6_v1)" -j | "${UTIL[@]}" routes --need-btf)
log "a1 routes4:"$'\n'"$routes4"
log "a1 routes6:"$'\n'"$routes6"
[[ $(wc -l <<<"$routes4") == 1 && $(wc -l <<<"$routes6") == 1 ]] || die "a1: want exactly one route per family"
[[ $routes4 == "100.64.2.0/24 action=1 ifindex=$wg_ifindex "*' key={"prefixlen":24,"addr":[100,64,2,0]}' ]] ||
  die "a1 routes4: want 100.64.2.0/24 -> WireGuard (ifindex $wg_ifindex), decoded as prefixlen 24 addr [100,64,2,0]"
[[ $routes6 == "fd64:2::/64 action=1 ifindex=$wg_ifindex "*' key={"prefixlen":64,"addr":[253,100,0,2,0,0,0,0,0,0,0,0,0,0,0,0]}' ]] ||
  die "a1 routes6: want fd64:2::/64 -> WireGuard (ifindex $wg_ifindex)"
peers=$(wg_peers a1)
log "a1 wg:"$'\n'"$peers"
[[ $(grep -c '^peer ' <<<"$peers") == 1 ]] || die "a1: want exactly one WireGuard peer"
[[ $peers == *"peer ${NODE_KEY[b1]} endpoint=198.18.0.2:4500 allowed-ips=100.64.2.0/24,fd64:2::/64,$(tunnel_host "${NODE_KEY[b1]}") "* ]] ||
  die "a1: want peer b1 at 198.18.0.2:4500 with allowed-ips exactly gw-b's subnets"
[[ $(wg_peers b1) == *"peer ${NODE_KEY[a1]} endpoint=198.18.0.1:4500 allowed-ips=100.64.1.0/24,fd64:1::/64,$(tunnel_host "${NODE_KEY[a1]}") "* ]] ||
  die "b1: want peer a1 at 198.18.0.1:4500 with allowed-ips exactly gw-a's subnets"

log "== (g) same-pool traffic is not taken (per-peer counters stand still)"
before=$(peer_packets a1)
n a1p0 ping -c 5 -i 0.1 -W 1 "${POD_IP4[a1p1]}" >/dev/null || die "same-pool ping v4 failed"
n a1p0 ping -c 5 -i 0.1 -W 1 "${POD_IP6[a1p1]}" >/dev/null || die "same-pool ping v6 failed"
after=$(peer_packets a1)
result "same_pool.peer_packets_before=$before same_pool.peer_packets_after=$after"
(( after == before )) || die "a1 per-peer counters moved by $((after - before)) for same-pool traffic"
n a1p0 ping -c 5 -i 0.1 -W 1 "${POD_IP4[b1p0]}" >/dev/null || die "cross-pool ping failed"
cross=$(peer_packets a1)
result "cross_pool.peer_packets_delta=$((cross - after))"
(( cross - after >= 5 )) || die "a1 per-peer counters moved by $((cross - after)) for 5 cross-pool pings"

log "== (b, c) 50 MiB over TCP each way, underlay captured"
make_payload 50
capture_start a1 ul0 underlay
bulk_transfer a1p0 b1p0 "${POD_IP4[b1p0]}" tcp4_a1p0_to_b1p0
bulk_transfer b1p1 a1p1 "${POD_IP6[a1p1]}" tcp6_b1p1_to_a1p1
capture_stop underlay
check_underlay_capture underlay 70000

log "== (f) DF pings at and above the tunnel MTU: replies or an ICMP error, never silence"
# mtu_probe FROM ADDR SIZE
mtu_probe() {
  local out rc=0 what
  out=$(nq "$1" ping -M "do" -s "$3" -c 3 -i 0.3 -W 2 "$2" 2>&1) || rc=$?
  if (( rc == 0 )); then
    what="replies"
  elif grep -qiE 'frag needed|message too long|packet too big|mtu ?=' <<<"$out"; then
    what="icmp-error: $(grep -oiE '(frag needed[^)]*\)|message too long[^ ]*( mtu ?= ?[0-9]+)?|packet too big[^ ]*( mtu ?= ?[0-9]+)?)' <<<"$out" | head -n 1)"
  else
    echo "$out"
    die "ping -M do -s $3 $1 -> $2: no reply and no ICMP error (silent drop)"
  fi
  log "  ping -M do -s $3 $1 -> $2: $what ($(grep -oE '[0-9]+ received' <<<"$out" || echo '0 received'))"
  result "mtu.$1.$3.$([[ $2 == *:* ]] && echo v6 || echo v4)=\"$what\""
}
mtu_probe a1p0 "${POD_IP4[b1p0]}" 1400
mtu_probe a1p0 "${POD_IP4[b1p0]}" 1472
mtu_probe a1p0 "${POD_IP6[b1p0]}" 1400
mtu_probe a1p0 "${POD_IP6[b1p0]}" 1452

log "== (e) kill -9 the a1 agent during ping -i 0.1 -c 100 and restart it"
peers_before=$(wg_peers a1)
routes_before=$(routes a1 4; routes a1 6)
ping_out=$RUN_DIR/data/restart.ping
ip netns exec "$(ns a1p0)" ping -i 0.1 -c 100 -W 1 "${POD_IP4[b1p0]}" >"$ping_out" 2>&1 &
ping_pid=$!
BG_PIDS+=("$ping_pid")
base=$(peer_packets a1)
ping_running() { (( $(peer_packets a1) >= base + 20 )); }
wait_for 10 "20 pings through a1" ping_running
old_pid=${AGENT_PID[a1]}
unset 'AGENT_PID[a1]'
t0=$(now_us)
pp kill -9 "$old_pid"
wait "$old_pid" 2>/dev/null || true
killed_ms=$(ms_since "$t0")
sleep 0.5 # a deliberate outage: the pinned dataplane must carry traffic with no agent at all
start_agent a1
result "restart.kill_to_restart_ms=$(ms_since "$t0") (process gone after ${killed_ms} ms)"
wait "$ping_pid" || true
tail -n 3 "$ping_out" | sed 's/^/    /' >&3
[[ $(cat "$ping_out") =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ received ]] || die "no ping summary"
sent=${BASH_REMATCH[1]} received=${BASH_REMATCH[2]}
result "restart.ping_sent=$sent restart.ping_received=$received restart.lost=$((sent - received))"
(( sent == 100 && sent - received <= 1 )) || die "lost $((sent - received)) of $sent pings across an agent restart (want <= 1)"
check_agents_alive
peers_restored() { [[ $(wg_peers a1) == "$peers_before" ]]; }
wait_for 10 "a1 WireGuard peers as before the restart" peers_restored
[[ "$(routes a1 4; routes a1 6)" == "$routes_before" ]] || die "a1 routes differ after the restart"
check_ping a1p1 "${POD_IP6[b1p1]}"

log "== (h) --cleanup removes the agent's tc filters, pins and devices"
stop_agent b1 TERM
agent_cmd b1
n b1 "${AGENT_ARGS[@]}" --cleanup || die "raven-agent --cleanup exited $?"
leftover=$(ls -A "$BPF_ROOT/b1" 2>/dev/null || true)
[[ -z $leftover ]] || die "b1: pins left after --cleanup: $leftover"
links=$(nq b1 ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
log "b1 links after --cleanup: $links"
[[ $links != *"$(wg_dev b1)"* && $links != *raven-vx0* ]] || die "b1: devices left after --cleanup: $links"
for dev in ul0 rvpb1p0 rvpb1p1; do
  filters=$(nq b1 tc filter show dev "$dev" ingress 2>&1; nq b1 tc filter show dev "$dev" egress 2>&1) || true
  [[ $filters != *bpf* ]] || die "b1: tc filters left on $dev after --cleanup: $filters"
done
attached=$(nq b1 bpftool net show 2>&1) || true
[[ $attached != *raven* ]] || die "b1: programs still attached after --cleanup: $attached"
wg_gone() { [[ ! -e /var/run/wireguard/$(wg_dev b1).sock ]]; }
wait_for 5 "b1's wireguard-go gone" wg_gone
