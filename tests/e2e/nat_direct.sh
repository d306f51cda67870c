#!/bin/bash
# Direct paths between edge sites behind NATs that forward nothing, by hole
# punching (daemon/nat_relay/direct_prober.h), in the four-pool lab with
# `--nat-a eim --nat-b edm --nat-d double`: edge-a's NAT maps and filters
# endpoint-independently, edge-b's maps every destination to a new port,
# edge-d sits behind two port-restricted NATs. Between edge-a and edge-b only
# edge-b's probes can open the way (they reach edge-a from edge-b's new
# port, which edge-a then probes back):
#   - both edge gateways find the direct path and say so (raven_agent_peer_path,
#     /healthz?verbose with the peer's mapped address); their WireGuard
#     endpoints are each other's NAT mappings; edge-a <-> edge-b pods answer,
#     IPv4 and IPv6, an 8 MiB TCP transfer goes through, and the relay
#     forwards none of it;
#   - a forged direct probe from the internet is dropped and counted;
#   - the direct path breaks (edge-a's router drops everything to and from
#     edge-b's site) under a ping and a TCP stream: the pair goes back to the
#     relay; the longest gap between two replies, the largest delay of a
#     reply and the stream's longest stall are reported, the stream survives;
#   - the path heals: the pair is direct again, without a gap;
#   - the third edge pool: edge-a <-> edge-d direct through the double NAT,
#     edge-b <-> edge-d (symmetric against port-restricted) on the relay,
#     as the Gateways' status.paths say; their pods answer (v4/v6).
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/nat_direct.sh   (as root)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up --nat-a eim --nat-b edm --nat-d double

other_edge() { if [[ $1 == a* ]]; then echo gw-edge-b; else echo gw-edge-a; fi; }
path_is() { [[ $(metric "$1" "raven_agent_peer_path{gateway=\"$(other_edge "$1")\",path=\"$2\",via=\"$3\"}") == 1 ]]; }
both_direct() { path_is "$gw_a" direct "" && path_is "$gw_b" direct ""; }
both_relayed() { path_is "$gw_a" relay gw-cloud && path_is "$gw_b" relay gw-cloud; }
forwarded() { metric "$(active_endpoint gw-cloud)" 'raven_agent_nat_relay_datagrams_total{outcome="forwarded"}'; }

gw_a=$(active_endpoint gw-edge-a)
gw_b=$(active_endpoint gw-edge-b)
log "== both edge gateways find the direct path"
wait_for 10 "[$gw_a] and [$gw_b] say direct" both_direct
for node in "$gw_a" "$gw_b"; do
  out=$(verbose "$node")
  [[ $out == ok* && $out == *"Gateway $(other_edge "$node") is reached directly at "*"(hole punched;"* ]] ||
    die "[$node] /healthz does not say the direct path: $out"
  log "  $node: $(grep 'reached directly' <<<"$out")"
done

wait_for 5 "gw-edge-a's status says HolePunched to gw-edge-b" status_path_is gw-edge-a gw-edge-b HolePunched/
wait_for 5 "gw-edge-b's status says HolePunched to gw-edge-a" status_path_is gw-edge-b gw-edge-a HolePunched/
status_path_is gw-cloud gw-edge-a Direct/ || die "gw-cloud's status.paths: $(kc get gateway gw-cloud -o jsonpath='{.status.paths}')"

before=$(forwarded)
for pair in a2p0:b2p0 b2p1:a1p0 a1p1:b1p1; do
  check_ping "${pair%:*}" "${POD_IP4[${pair#*:}]}"
  check_ping "${pair%:*}" "${POD_IP6[${pair#*:}]}"
done
bulk a2p0 b2p0 5005 8 direct.bulk
# (A stall of a gateway's probe thread may send a few through the relay for a
# moment, and edge-b and edge-d measure their relayed path: 20 datagrams a second.)
(( $(forwarded) < before + 500 )) ||
  die "the relay forwarded $(( $(forwarded) - before )) datagrams of a direct pair (8 MiB: about 6000)"
# With traffic both ends have their endpoint (the one that waits for the
# handshake takes it from the packets): edge-b's for edge-a is edge-a's one
# mapping; edge-a's for edge-b a port of edge-b's site that only the probes
# told (not the relay's view).
endpoint_of() {
  local key
  key=$(kc get gateway "$2" -o json | "${UTIL[@]}" jsonpath status.activeEndpoints.0.config.publicKey)
  nq "$1" wg show "$(wg_dev "$1")" endpoints | awk -v k="$key" '$1 == k { print $2 }'
}
endpoint_a=$(endpoint_of "$gw_a" gw-edge-b) endpoint_b=$(endpoint_of "$gw_b" gw-edge-a)
log "  WireGuard endpoints: $gw_a -> $endpoint_a, $gw_b -> $endpoint_b"
[[ $endpoint_a == "${SITE_WAN[b]}:"* ]] || die "[$gw_a] endpoint for edge-b is $endpoint_a, not at ${SITE_WAN[b]}"
[[ $endpoint_b == "${SITE_WAN[a]}:4500" ]] || die "[$gw_b] endpoint for edge-a is $endpoint_b, not ${SITE_WAN[a]}:4500"

# eim filters nothing: one relay address cannot tell that from address-dependent filtering.
wait_for 15 "gw-edge-a's status says Restricted cone NAT (eim)" nat_type_is gw-edge-a "Restricted cone NAT"

log "== a forged direct probe from the internet"
rejected=$(metric "$gw_a" raven_agent_direct_rejected_total)
key_b=$(kc get gateway gw-edge-b -o json | "${UTIL[@]}" jsonpath status.activeEndpoints.0.config.publicKey)
nq api "$PYTHON" - "${SITE_WAN[a]}" "$key_b" <<'EOF'
import base64, os, socket, struct, sys, time
site, key = sys.argv[1], base64.b64decode(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# in edge-b's name, with a MAC the stranger cannot make
s.sendto(b"RVRL\x01\x04" + struct.pack("!HQ", 0, time.time_ns()) + key + os.urandom(16), (site, 4500))
EOF
counted() { (( $(metric "$gw_a" raven_agent_direct_rejected_total) > rejected )); }
wait_for 3 "[$gw_a] counts the forged probe" counted
check_ping a2p0 "${POD_IP4[b2p0]}"

cut_path() {
  cut_edge_link
  local t0
  t0=$(now_us)
  wait_for 3 "both edge gateways back on the relay" both_relayed
  result "direct_to_relay.status_switch_ms=$(ms_since "$t0")"
}
heal_path() {
  local t0
  t0=$(now_us)
  heal_edge_link
  wait_for 5 "both edge gateways direct again" both_direct
  result "relay_to_direct.status_switch_ms=$(ms_since "$t0")"
}

log "== the direct path breaks under traffic: back to the relay"
before=$(forwarded)
under_traffic direct_to_relay 5003 0.05 cut_path
below 1.5 "$GAP" || die "direct -> relay: no reply for $GAP s, want < 1.5 s"
(( $(forwarded) > before + 40 )) || die "the relay did not carry the pair after the cut"
wait_for 5 "gw-edge-a's status says Relay/gw-cloud to gw-edge-b" status_path_is gw-edge-a gw-edge-b Relay/gw-cloud
wait_for 5 "a PathChanged Event for $gw_a" has_event PathChanged \
  "node $gw_a reaches Gateway gw-edge-b through the NAT relay of Gateway gw-cloud; before: directly, through both NATs"
bulk a2p0 b2p0 5006 8 relay.bulk

log "== the path heals: direct again"
under_traffic relay_to_direct 5004 0.05 heal_path
below 0.5 "$GAP" || die "relay -> direct: no reply for $GAP s, want < 0.5 s"
# And the traffic is on the direct path again, not only the status (packets in
# flight on the relay during the switch make WireGuard roam back there; the
# agents put it back).
before=$(forwarded)
bulk a2p0 b2p0 5007 8 healed.bulk
(( $(forwarded) < before + 500 )) ||
  die "after healing the relay forwarded $(( $(forwarded) - before )) datagrams of the direct pair"

log "== the third edge pool, behind a double NAT: direct with edge-a, relayed with edge-b"
wait_for 5 "gw-edge-d's status says HolePunched to gw-edge-a" status_path_is gw-edge-d gw-edge-a HolePunched/
wait_for 5 "gw-edge-a's status says HolePunched to gw-edge-d" status_path_is gw-edge-a gw-edge-d HolePunched/
status_path_is gw-edge-d gw-edge-b Relay/gw-cloud && status_path_is gw-edge-b gw-edge-d Relay/gw-cloud ||
  die "edge-b <-> edge-d not on the relay: $(kc get gateway gw-edge-d -o jsonpath='{.status.paths}')"
for pair in d1p0:a2p0 a1p1:d2p1 d2p0:b2p0 b1p1:d1p1 d1p1:c2p0; do
  check_ping "${pair%:*}" "${POD_IP4[${pair#*:}]}"
  check_ping "${pair%:*}" "${POD_IP6[${pair#*:}]}"
done
