#!/bin/bash
# Detours through a third pool (daemon/failover/path_choice.h), in the lab
# with `--nat-a forward --nat-b forward`: edge-a and edge-b reach each other
# directly through their routers' port forwards, and both keep registered
# with gw-cloud's relay for the pair, probing the direct path all along:
#   - the direct path slowed to 100 ms each way: both edge gateways move the
#     pair through gw-cloud's relay within 3 s (status Relay/gw-cloud with
#     reason Detour), and back after the link is restored, not before the
#     3 s hold time;
#   - the direct path cut under a ping and a TCP stream: the longest gap
#     between two replies and the largest delay of a reply are reported (the
#     stream survives), and the pair is direct again after the cut heals;
#   - the same cut with the API server stopped: the gateways still move the
#     pair on their own;
#   - each degradation moved the pair twice (there and back), no more.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/detour.sh   (as root)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up --nat-a forward --nat-b forward

other_edge() { if [[ $1 == a* ]]; then echo gw-edge-b; else echo gw-edge-a; fi; }
path_is() { [[ $(metric "$1" "raven_agent_peer_path{gateway=\"$(other_edge "$1")\",path=\"$2\",via=\"$3\"}") == 1 ]]; }
both_direct() { path_is "$gw_a" direct "" && path_is "$gw_b" direct ""; }
both_detoured() { path_is "$gw_a" relay gw-cloud && path_is "$gw_b" relay gw-cloud; }
changes() { metric "$1" "raven_agent_path_changes_total{gateway=\"$(other_edge "$1")\"}"; }
detour_reason() {
  [[ $(kc get gateway "$1" -o jsonpath="{range .status.paths[?(@.gateway==\"$2\")]}{.path}/{.via}:{.reason}{end}") == Relay/gw-cloud:Detour ]]
}
forwarded() { metric "$(active_endpoint gw-cloud)" 'raven_agent_nat_relay_datagrams_total{outcome="forwarded"}'; }
cut() {
  cut_edge_link
  local t0
  t0=$(now_us)
  wait_for 3 "both edge gateways detour through gw-cloud" both_detoured
  result "cut.switch_ms=$(ms_since "$t0")"
}

gw_a=$(active_endpoint gw-edge-a)
gw_b=$(active_endpoint gw-edge-b)
log "== edge-a <-> edge-b direct, through the port forwards"
wait_for 10 "[$gw_a] and [$gw_b] say direct" both_direct
wait_for 10 "gw-edge-a's status says Direct to gw-edge-b" status_path_is gw-edge-a gw-edge-b Direct/
check_ping a2p0 "${POD_IP4[b2p0]}"
changes_a=$(changes "$gw_a") changes_b=$(changes "$gw_b")

log "== the direct path slowed to 100 ms each way: a detour through gw-cloud"
"$LAB" degrade a b --delay 100 >/dev/null
t0=$(now_us)
wait_for 3 "both edge gateways detour through gw-cloud" both_detoured
result "slow.switch_ms=$(ms_since "$t0")"
wait_for 5 "gw-edge-a's status says Relay/gw-cloud, reason Detour" detour_reason gw-edge-a gw-edge-b
wait_for 5 "a PathChanged Event for $gw_a" has_event PathChanged \
  "node $gw_a reaches Gateway gw-edge-b through the NAT relay of Gateway gw-cloud"
before=$(forwarded)
rtt=$(nq a2p0 ping -c 5 -i 0.2 -W 1 "${POD_IP4[b2p0]}" | awk -F/ '/^rtt/ { print $5 }')
result "slow.detour_rtt_ms=$rtt"
below 100 "$rtt" || die "a2p0 -> b2p0 takes $rtt ms on the detour: still on the slow path?"
(( $(forwarded) >= before + 10 )) || die "gw-cloud's relay did not carry the detour"
"$LAB" restore >/dev/null
t0=$(now_us)
wait_for 15 "both edge gateways direct again" both_direct
back_ms=$(ms_since "$t0")
result "slow.back_ms=$back_ms"
(( back_ms >= 3000 )) || die "back to the direct path after $back_ms ms: before the 3 s hold time"
bulk a2p0 b2p0 5008 8 healed.bulk

log "== the direct path cut under traffic: the detour at once"
under_traffic cut 5003 0.05 cut
below 1.5 "$GAP" || die "direct -> detour: no reply for $GAP s, want < 1.5 s"
heal_edge_link
wait_for 10 "both edge gateways direct again" both_direct

log "== the same cut with the API server stopped"
kill -STOP "${DAEMON_PID[apiserver]}"
under_traffic cut_api_stopped 5004 0.05 cut
below 1.5 "$GAP" || die "direct -> detour with the API server stopped: no reply for $GAP s, want < 1.5 s"
heal_edge_link
wait_for 10 "both edge gateways direct again" both_direct
kill -CONT "${DAEMON_PID[apiserver]}"

log "== two changes per degradation, no flapping"
for node in "$gw_a" "$gw_b"; do
  before=$([[ $node == "$gw_a" ]] && echo "$changes_a" || echo "$changes_b")
  moved=$(( $(changes "$node") - before ))
  result "$node.path_changes=$moved"
  (( moved == 6 )) || die "[$node] moved the pair $moved times through 3 degradations, want 6"
done
