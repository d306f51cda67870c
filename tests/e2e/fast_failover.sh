#!/bin/bash
# Failover from the data path, on the lab with a standby in every pool
# (scripts/lab.sh up --replicas 2):
#
#   standby     each active gateway holds a handshaken WireGuard session with
#               every remote pool's standby (AllowedIPs: its tunnel address
#               only), each standby with every remote active gateway (its
#               prefixes too), and the liveness echoes are answered
#               (raven_agent_echo_replies_total)
#   restart     kill -9 of an active gateway's agent, started again: its kernel
#               keeps answering the echoes, so no node passes it over
#               (raven_agent_echo_silences_total unchanged, no reply gap of
#               0.2 s, at most one echo lost)
#   failover    each pool in turn: its active gateway stops (agent killed, link
#               down) while the standby's pod pings (`ping -D -i 0.05`) and
#               streams TCP to a pod of another pool: longest time between
#               two replies and largest delay under 1 s, TCP stall under
#               1.5 s, the stream survives; the old node then comes back
#               while the controller names the new one: it stays a standby
#               and a ping across its return has no gap of 0.2 s
#   drain       `kubectl annotate node OLD raven.openyurt.io/drain=true` on
#               edge-b's active gateway under a ping and a TCP stream from
#               the cloud to its pods: the controller makes the standby
#               active; no WireGuard session is re-created, the stream
#               survives (stall under 1 s) and at most 2 echoes are lost: the
#               nodes switch milliseconds apart, and the cloud gateway's
#               WireGuard accepts the pool's packets from one session at a
#               time, so a packet in flight just then can be dropped (and a
#               TCP segment then waits for a retransmission timeout)
#   api-down    the API server stopped (SIGSTOP): edge-a's active gateway stops,
#               and the pool fails over from the data path alone (gap < 1 s)
#               while the status still names the old endpoint; with the API
#               server back, the controller confirms the new one
#
# Prints RESULT lines with every measurement. bench/failover.sh --replicas 2
# --compare repeats the failover many times, against the Lease alone.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/fast_failover.sh   (as root, after ninja -C build)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up --replicas 2

other_node() { case $1 in *1) echo "${1%1}2" ;; *2) echo "${1%2}1" ;; esac; }
healthy() { [[ $(agent_health "$1") == ok ]]; }
key_of() { nq "$1" wg show "$(wg_dev "$1")" public-key; }
# session NODE PEER_NODE ALLOWED: NODE has a handshaken peer for PEER_NODE's key whose
# AllowedIPs (comma-separated, as `wg show` dumps them) match the pattern ALLOWED.
session() {
  local line
  line=$(nq "$1" wg show "$(wg_dev "$1")" dump | awk -v k="$(key_of "$2")" '$1 == k')
  [[ -n $line ]] || return 1
  # shellcheck disable=SC2053 # a pattern
  [[ $(cut -f4 <<<"$line") == $3 && $(cut -f5 <<<"$line") != 0 ]]
}
silences() {
  local node sum=0 v
  for node in "${LAB_NODES[@]}"; do
    v=$(metric "$node" raven_agent_echo_silences_total\{node=\""$1"\"\})
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}
pools=(gw-edge-a gw-edge-b gw-cloud)
declare -A from_pool=([gw-edge-a]=gw-edge-b [gw-edge-b]=gw-cloud [gw-cloud]=gw-edge-a)

# ---------------------------------------------------------------- standby sessions
log "== standby sessions and liveness echoes"
for gw in "${pools[@]}"; do
  on=$(active_endpoint "$gw")
  standby=$(other_node "$on")
  wait_for 10 "$on healthy" healthy "$on"
  for remote in "${pools[@]}"; do
    [[ $remote != "$gw" ]] || continue
    r_active=$(active_endpoint "$remote")
    r_standby=$(other_node "$r_active")
    wait_for 10 "$on holds a session with $r_standby (its tunnel address only)" \
      session "$on" "$r_standby" "$(tunnel_host "$(key_of "$r_standby")")"
    # The standby's session accepts the remote pool's prefixes too.
    wait_for 10 "$standby holds a session with $r_active" \
      session "$standby" "$r_active" "*,$(tunnel_host "$(key_of "$r_active")")"
    replies=$(metric "$on" "raven_agent_echo_replies_total{node=\"$r_standby\"}")
    (( ${replies:-0} > 0 )) || die "$on's echoes to $r_standby unanswered"
  done
  replies=$(metric "$standby" "raven_agent_echo_replies_total{node=\"$on\"}")
  (( ${replies:-0} > 0 )) || die "$standby's echoes to $on unanswered"
done
log "every active gateway and standby holds its sessions; echoes answered"

# ---------------------------------------------------------------- agent restart
gw_b=$(active_endpoint gw-edge-b)
log "== kill -9 of $gw_b's agent, started again: nobody passes it over"
before=$(silences "$gw_b")
nq c2p0 ping -D -i 0.05 -w 4 -W 1 "${POD_IP4[${gw_b}p0]}" >"$OUT/restart-ping.txt" 2>&1 &
ping_pid=$!
wait_for 2 "c2p0 gets replies from ${gw_b}p0" grep -q icmp_seq "$OUT/restart-ping.txt"
kill -9 "${AGENT_PID[$gw_b]}"
unset "AGENT_PID[$gw_b]"
start_agent "$gw_b"
wait "$ping_pid" || true
read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/restart-ping.txt" 0.05)
result "restart.ping_lost=$lost restart.longest_gap_s=$gap restart.max_delay_s=$delay"
# One echo in 80 was lost in 2 of about 15 runs (here and at the comeback
# below), cause not found; an outage would show in the gap.
(( lost <= 1 )) || die "$lost echoes lost across an agent restart"
below 0.2 "$gap" || die "no reply for $gap s across an agent restart"
[[ $(silences "$gw_b") == "$before" ]] || die "an agent restart made nodes pass $gw_b over"
is_active gw-edge-b "$gw_b" || die "the restart made gw-edge-b fail over"

# ---------------------------------------------------------------- failover
FAILOVER_PING_INTERVAL=0.05 FAILOVER_LIMITS="1 1 1.5"
port=5001
for gw in "${pools[@]}"; do
  old=$(active_endpoint "$gw")
  new=$(other_node "$old")
  peer=$(other_node "$(active_endpoint "${from_pool[$gw]}")")
  log "== failover of $gw: $old stops while ${new}p0 pings ${peer}p1 and streams TCP to ${peer}p0"
  failover_under_traffic "$gw" "$old" "$new" "${new}p0" "${peer}p1" "${peer}p0" "$port" "failover.$gw"
  port=$(( port + 1 ))

  log "== $old comes back while the controller names $new"
  nq "${new}p0" ping -D -i 0.05 -w 6 -W 1 "${POD_IP4[${peer}p1]}" >"$OUT/comeback-ping.txt" 2>&1 &
  ping_pid=$!
  relink "$old"
  start_agent "$old"
  wait_for 20 "$old healthy" healthy "$old"
  wait "$ping_pid" || true
  read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/comeback-ping.txt" 0.05)
  result "comeback.$gw.ping_lost=$lost comeback.$gw.longest_gap_s=$gap"
  (( lost <= 1 )) || die "$lost echoes lost while $old came back"
  below 0.2 "$gap" || die "no reply for $gap s while $old came back"
  is_active "$gw" "$new" || die "$old took $gw back"
  [[ $(metric "$old" 'raven_agent_role{role="member"}') == 1 ]] || die "$old is not a standby member"
done

# ---------------------------------------------------------------- drain
old=$(active_endpoint gw-edge-b)
new=$(other_node "$old")
peer=$(active_endpoint gw-cloud)
log "== $old drained for maintenance while ${peer}p1 pings ${old}p1 and ${peer}p0 streams TCP to ${old}p0"
nq "${old}p0" "${E2E_UTIL[@]}" tcpecho serve "${POD_IP4[${old}p0]}" 5010 30 &
BG+=($!)
wait_for 2 "${old}p0 listens on 5010" listening "${old}p0" 5010
nq "${peer}p0" "${E2E_UTIL[@]}" tcpecho send "${POD_IP4[${old}p0]}" 5010 6 >"$OUT/drain-tcp.txt" 2>&1 &
tcp_pid=$!
nq "${peer}p1" ping -D -i 0.05 -w 6 -W 1 "${POD_IP4[${old}p1]}" >"$OUT/drain-ping.txt" 2>&1 &
ping_pid=$!
wait_for 3 "${peer}p1 gets replies from ${old}p1" grep -q icmp_seq "$OUT/drain-ping.txt"
recreated() { cat "$LOG_DIR"/{"$old","$new","$peer"}.log | grep -c "re-creating it so that a handshake proves" || true; }
recreated_before=$(recreated)
kc annotate node "$old" raven.openyurt.io/drain=true >&3
wait_for 10 "gw-edge-b elects $new" is_active gw-edge-b "$new"
wait "$ping_pid" || true
wait "$tcp_pid" || { cat "$OUT/drain-tcp.txt"; die "drain: the TCP stream did not survive"; }
read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/drain-ping.txt" 0.05)
read -r _ sent _ echoed _ stall <"$OUT/drain-tcp.txt"
result "drain.longest_gap_s=$gap drain.max_delay_s=$delay drain.ping_lost=$lost drain.tcp_longest_stall_s=$stall"
[[ $sent == "$echoed" && $sent -gt 50 ]] || die "drain: TCP sent $sent, echoed $echoed"
below 1 "$stall" || die "drain: the TCP stream stalled $stall s, want < 1 s"
(( lost <= 2 )) || die "drain: $lost echoes lost, want at most 2"
(( $(recreated) == recreated_before )) || die "drain: a WireGuard session was re-created"
[[ $(metric "$old" 'raven_agent_role{role="member"}') == 1 ]] || die "drained $old is no member"
kc annotate node "$old" raven.openyurt.io/drain- >&3

# ---------------------------------------------------------------- API server down
old=$(active_endpoint gw-edge-a)
new=$(other_node "$old")
peer=$(other_node "$(active_endpoint gw-edge-b)")
log "== the API server stopped; $old stops: gw-edge-a fails over from the data path alone"
kill -STOP "${DAEMON_PID[apiserver]}"
nq "${new}p0" ping -D -i 0.05 -w 5 -W 1 "${POD_IP4[${peer}p1]}" >"$OUT/api-down-ping.txt" 2>&1 &
ping_pid=$!
wait_for 3 "${new}p0 gets replies from ${peer}p1" grep -q icmp_seq "$OUT/api-down-ping.txt"
kill -9 "${AGENT_PID[$old]}"
unset "AGENT_PID[$old]"
ipn "$old" link set "${NODE_DEV[$old]}" down
wait "$ping_pid" || true
read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/api-down-ping.txt" 0.05)
result "api_down.longest_gap_s=$gap api_down.max_delay_s=$delay api_down.ping_lost=$lost"
below 1 "$gap" || die "with the API server down: no reply for $gap s, want < 1 s"
[[ $(metric "$new" 'raven_agent_role{role="gateway"}') == 1 ]] || die "$new did not take over"
kill -CONT "${DAEMON_PID[apiserver]}"
wait_for 15 "the controller confirms $new" is_active gw-edge-a "$new"
check_ping "${new}p0" "${POD_IP4[${peer}p1]}"
