#!/bin/bash
# The lab with edge sites behind NATs that forward nothing (`--nat-a eim-apdf
# --nat-b edm`: lab/nat.sh), so both edge Gateways are underNAT without a
# public address, and gw-cloud (exposeType PublicIP, not underNAT) is the NAT
# relay of the edge pair (daemon/model/nat_relay_plan.h). No direct path is
# possible between these two NATs (edge-b's probes come from a new port that
# edge-a's filtering drops): the pair stays on the relay (nat_direct.sh has
# the NATs that allow one).
#   - cloud <-> edge pod pairs answer, IPv4 and IPv6 (the edge gateways call
#     the cloud's public address and keep their mappings open);
#   - edge-a <-> edge-b answer through the relay on gw-cloud's active gateway,
#     an 8 MiB TCP transfer too (full-size segments),
#     and every edge agent says so (raven_agent_peer_path, /healthz?verbose);
#     nothing is unreachable;
#   - a capture on the relay's uplink during that traffic holds only WireGuard
#     (and the relay's registrations and acks): no pod address and no byte of the
#     pings' payload in clear;
#   - NAT discovery: the relay's acks show each edge gateway its mapping (the
#     site's public address) and whether it depends on the destination:
#     endpoint-independent behind eim-apdf, endpoint-dependent behind edm;
#     and whether it filters by port (an ack from a port of the relay it never
#     sent to): the Gateways' status says "Port Restricted cone NAT" and
#     "Symmetric NAT" (upstream's natType words);
#   - edge-b's NAT forgets its mappings (conntrack flushed, as in a router
#     restart) under a ping and a TCP stream: its gateway sees the new
#     mapping, the relay follows its next registration; the longest gap
#     between two replies and the TCP stream's longest stall are reported
#     and the stream survives;
#   - a published endpoint that never answers: gw-edge-a's spec names a
#     public address that is nobody's; edge-b calls it in vain, marks it
#     unanswered 15 s after its first packet (its status.paths entry says EndpointUnanswered,
#     a PathChanged Event says why), and every node takes the pair back
#     through the relay: the longest gap of a ping across it is reported
#     and bounded, and cloud <-> edge-a's (its live session's endpoint
#     rewritten to the bad address until the next keepalive); the address
#     removed, the mark goes with it;
#   - strangers on the internet: a forged registration, a WireGuard-shaped
#     datagram from an unregistered address and junk are dropped and counted
#     by outcome, and the pair keeps working;
#   - the relay's node dies (agent killed, link down): gw-cloud fails over and
#     the pair follows to the new relay; the longest time between two replies
#     of a ping stream and the longest stall of a TCP stream across it (which
#     must survive: the WireGuard session is end to end, only its path moves);
#   - no relay left (gw-cloud's second node dies too): the pair has no path,
#     its traffic is dropped and counted as no_path, and the edge agents say
#     which pair and why while staying healthy.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/nat_paths.sh   (as root)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up --nat-a eim-apdf --nat-b edm

relayed() { metric "$1" "raven_agent_nat_relay_datagrams_total{outcome=\"$2\"}"; }
other_edge() { if [[ $1 == a* ]]; then echo gw-edge-b; else echo gw-edge-a; fi; }
# says_path NODE: the node's metrics and /healthz name relay_gw for the other edge pool.
says_path() {
  local other out
  other=$(other_edge "$1")
  [[ $(metric "$1" "raven_agent_peer_path{gateway=\"$other\",path=\"relay\",via=\"$relay_gw\"}") == 1 ]] || return 1
  out=$(verbose "$1")
  [[ $out == ok* && $out == *"Gateway $other is reached through the NAT relay of Gateway $relay_gw"* ]]
}
unreachable_is() { [[ $(metric "$1" raven_agent_unreachable_gateways) == "$2" ]]; }

log "== cloud <-> edge pairs answer"
for pair in c2p0:a2p0 a2p0:c2p0 c1p1:b2p1 b2p1:c1p1; do
  check_ping "${pair%:*}" "${POD_IP4[${pair#*:}]}"
  check_ping "${pair%:*}" "${POD_IP6[${pair#*:}]}"
done

relay_node=$(active_endpoint gw-cloud)
relay_gw="gw-cloud"
gw_a=$(active_endpoint gw-edge-a)
gw_b=$(active_endpoint gw-edge-b)
log "== edge-a <-> edge-b through the NAT relay on $relay_node"
forwarded=$(relayed "$relay_node" forwarded)
for pair in a2p0:b2p0 b2p1:a1p0 a1p1:b1p1; do
  check_ping "${pair%:*}" "${POD_IP4[${pair#*:}]}"
  check_ping "${pair%:*}" "${POD_IP6[${pair#*:}]}"
done
# Full-size segments too (their WireGuard datagrams are not padded to 16 bytes).
bulk a2p0 b2p0 5005 8 relay.bulk
(( $(relayed "$relay_node" forwarded) >= forwarded + 1000 )) ||
  die "[$relay_node] forwarded $forwarded -> $(relayed "$relay_node" forwarded), want +1000 at least"
for node in a1 a2 b1 b2 c1 c2; do unreachable_is "$node" 0 || die "[$node] sees an unreachable Gateway"; done
for node in "$gw_a" "$gw_b"; do says_path "$node" || die "[$node] does not say the relay: $(verbose "$node")"; done
wait_for 5 "gw-edge-a's status says Relay/gw-cloud to gw-edge-b" status_path_is gw-edge-a gw-edge-b Relay/gw-cloud
wait_for 5 "gw-edge-b's status says Relay/gw-cloud to gw-edge-a" status_path_is gw-edge-b gw-edge-a Relay/gw-cloud
result "relay.forwarded=$(( $(relayed "$relay_node" forwarded) - forwarded ))"

log "== a capture on the relay's uplink: WireGuard only, nothing in clear"
pattern=5261766e52656c6179546573745061
nq "$relay_node" timeout 10 tcpdump -i ul0 -nn -U -w "$OUT/relay.pcap" 'udp portrange 4600-4610' \
  2>"$OUT/tcpdump.log" &
capture=$!
BG+=("$capture")
wait_for 5 "tcpdump on $relay_node" grep -q 'listening on' "$OUT/tcpdump.log"
nq a2p0 ping -c 20 -i 0.05 -W 1 -p "$pattern" "${POD_IP4[b2p0]}" >/dev/null || die "pings through the relay failed"
nq a2p0 ping -c 20 -i 0.05 -W 1 -p "$pattern" "${POD_IP6[b2p0]}" >/dev/null || die "pings through the relay failed"
kill -TERM "$capture" 2>/dev/null || true
wait "$capture" || true
summary=$("${E2E_UTIL[@]}" pcap "$OUT/relay.pcap" 4500,4600-4610 100.64.0.0/10 fd64::/16 --pattern "$pattern")
log "capture: $summary"
if ! [[ $summary =~ wg_data=([0-9]+) ]] || (( BASH_REMATCH[1] < 80 )); then
  die "capture: under 80 WireGuard data packets"
fi
[[ $summary == *" other=0 pod_addr=0 pattern=0" ]] || die "capture: something else than WireGuard, or clear text"
result "relay.capture $summary"

log "== NAT discovery: the mapping each edge gateway's NAT gives, as the relay's ports see it"
# mapping_is NODE BEHAVIOUR SITE: the node's metrics show BEHAVIOUR and the site's public address.
mapping_is() {
  [[ $(metric "$1" "raven_agent_nat_mapping{relay=\"$relay_gw\",behaviour=\"$2\"}") == 1 ]] &&
    nq "$1" curl -sS -m 2 "http://${NODE_IP[$1]}:10273/metrics" |
    grep -q "^raven_agent_nat_mapped_address{relay=\"$relay_gw\",relay_port=\"[0-9]*\",address=\"${SITE_WAN[$3]}:"
}
wait_for 5 "[$gw_a] sees an endpoint-independent mapping (eim-apdf)" mapping_is "$gw_a" endpoint-independent a
wait_for 5 "[$gw_b] sees an endpoint-dependent mapping (edm)" mapping_is "$gw_b" endpoint-dependent b
log "  $gw_a: $(verbose "$gw_a" | grep '^NAT mapping')"
log "  $gw_b: $(verbose "$gw_b" | grep '^NAT mapping')"
# With the filtering probes' acks (from a port of the relay the gateway never
# sent to): the NAT type in upstream's words, in the Gateway's status.
wait_for 15 "gw-edge-a's status says Port Restricted cone NAT (eim-apdf)" nat_type_is gw-edge-a "Port Restricted cone NAT"
wait_for 15 "gw-edge-b's status says Symmetric NAT (edm)" nat_type_is gw-edge-b "Symmetric NAT"
[[ $(metric "$gw_a" "raven_agent_nat_filtering{relay=\"$relay_gw\",behaviour=\"port-dependent\"}") == 1 ]] ||
  die "[$gw_a] does not say port-dependent filtering"

log "== edge-b's NAT forgets its mappings (conntrack flushed) while a2p0 pings b2p1 and streams TCP to b2p0"
changes=$(metric "$gw_b" raven_agent_nat_mapping_changes_total)
mapping_changed() { (( $(metric "$gw_b" raven_agent_nat_mapping_changes_total) > changes )); }
flush_nat_b() {
  nq nat-b conntrack -F 2>&1 | sed "s/^/    /" >&3
  wait_for 5 "[$gw_b] sees its new mapping" mapping_changed
}
under_traffic nat_flush 5002 0.1 flush_nat_b
below 2.5 "$GAP" || die "NAT flush: no reply for $GAP s, want < 2.5 s"

log "== gw-edge-a publishes an address that never answers"
endpoints_json() {  # endpoints_json PUBLIC_IP: gw-edge-a's spec.endpoints, with that publicIP
  local ip=$1
  printf '[{"nodeName":"a1","type":"tunnel","port":4500,"underNAT":true%s},' "${ip:+,\"publicIP\":\"$ip\",\"publicPort\":4500}"
  printf '{"nodeName":"a2","type":"tunnel","port":4500,"underNAT":true%s}]' "${ip:+,\"publicIP\":\"$ip\",\"publicPort\":4500}"
}
reason_of() { kc get gateway "$1" -o jsonpath="{range .status.paths[?(@.gateway==\"$2\")]}{.reason}{end}"; }
marked() { [[ $(reason_of gw-edge-b gw-edge-a) == EndpointUnanswered ]] && status_path_is gw-edge-b gw-edge-a Relay/gw-cloud; }
nq a2p0 ping -D -i 0.2 -w 40 -W 1 "${POD_IP4[b2p0]}" >"$OUT/unanswered-ping.txt" 2>&1 &
ping_pid=$!
nq c2p0 ping -D -i 0.2 -w 40 -W 1 "${POD_IP4[a2p1]}" >"$OUT/unanswered-cloud-ping.txt" 2>&1 &
cloud_ping=$!
wait_for 3 "a2p0 gets replies from b2p0" grep -q icmp_seq "$OUT/unanswered-ping.txt"
t0=$(now_us)
kc patch gateway gw-edge-a --type=merge -p "{\"spec\":{\"endpoints\":$(endpoints_json 198.18.0.99)}}" >/dev/null
wait_for 30 "gw-edge-b's status says the pair is relayed: gw-edge-a's endpoint unanswered" marked
result "unanswered.marked_ms=$(ms_since "$t0")"
wait_for 5 "a PathChanged Event saying why" has_event PathChanged \
  "reaches Gateway gw-edge-a through the NAT relay of Gateway gw-cloud (the endpoint it publishes never answered)"
replied=$(grep -c icmp_seq "$OUT/unanswered-ping.txt" || true)
replies_again() { (( $(grep -c icmp_seq "$OUT/unanswered-ping.txt") >= replied + 5 )); }
wait_for 5 "a2p0 gets replies from b2p0 through the relay again" replies_again
kill -INT "$ping_pid" "$cloud_ping" 2>/dev/null || true
wait "$ping_pid" "$cloud_ping" || true
read -r gap delay lost < <("${E2E_UTIL[@]}" pinggap "$OUT/unanswered-ping.txt" 0.2)
read -r cloud_gap _ _ < <("${E2E_UTIL[@]}" pinggap "$OUT/unanswered-cloud-ping.txt" 0.2)
result "unanswered.longest_gap_s=$gap unanswered.max_delay_s=$delay unanswered.ping_lost=$lost unanswered.cloud_edge_a_longest_gap_s=$cloud_gap"
below 25 "$gap" || die "the unanswered endpoint black-holed the pair for $gap s, want < 25 s"
below 1.5 "$cloud_gap" || log "NOTE: cloud -> edge-a stopped for $cloud_gap s"
check_ping b2p1 "${POD_IP4[a1p0]}"
kc patch gateway gw-edge-a --type=merge -p "{\"spec\":{\"endpoints\":$(endpoints_json "")}}" >/dev/null
cleared() { [[ -z $(reason_of gw-edge-b gw-edge-a) ]] && status_path_is gw-edge-b gw-edge-a Relay/gw-cloud; }
wait_for 10 "the mark goes with the address" cleared
check_ping a2p0 "${POD_IP4[b2p0]}"

log "== strangers on the internet send to the relay's ports"
declare -A was=()
for outcome in bad_registration unknown_sender unregistered_source not_wireguard; do
  was[$outcome]=$(relayed "$relay_node" "$outcome")
done
key_a=$(kc get gateway gw-edge-a -o json | "${UTIL[@]}" jsonpath status.activeEndpoints.0.config.publicKey)
nq api "$PYTHON" - "${NODE_IP[$relay_node]}" "$key_a" <<'EOF'
import base64, os, socket, struct, sys, time
relay, key = sys.argv[1], base64.b64decode(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(4600, 4603):
    # a registration naming gw-edge-a's key, with a MAC the stranger cannot make
    # (at gw-edge-a's own port it names no pair: an unknown sender there)
    reg = b"RVRL\x01\x01" + struct.pack("!HQ", port, time.time_ns()) + key + os.urandom(16)
    s.sendto(reg, (relay, port))
    s.sendto(b"\x04\0\0\0" + os.urandom(60), (relay, port))  # WireGuard-shaped, unregistered
    s.sendto(b"GET / HTTP/1.0\r\n\r\n", (relay, port))        # junk
EOF
check_ping a2p0 "${POD_IP4[b2p0]}"
strangers_counted() {
  (( $(relayed "$relay_node" bad_registration) >= was[bad_registration] + 1 &&
     $(relayed "$relay_node" unknown_sender) >= was[unknown_sender] + 1 &&
     $(relayed "$relay_node" unregistered_source) >= was[unregistered_source] + 2 &&
     $(relayed "$relay_node" not_wireguard) >= was[not_wireguard] + 2 ))
}
wait_for 3 "[$relay_node] counts the strangers' datagrams" strangers_counted
result "relay.strangers bad_registration=$(( $(relayed "$relay_node" bad_registration) - was[bad_registration] ))" \
  "unknown_sender=$(( $(relayed "$relay_node" unknown_sender) - was[unknown_sender] ))" \
  "unregistered_source=$(( $(relayed "$relay_node" unregistered_source) - was[unregistered_source] ))" \
  "not_wireguard=$(( $(relayed "$relay_node" not_wireguard) - was[not_wireguard] ))"

new_relay=$([[ $relay_node == c1 ]] && echo c2 || echo c1)
log "== the relay's node $relay_node dies while a2p0 pings b2p1 and streams TCP to b2p0"
failover_under_traffic gw-cloud "$relay_node" "$new_relay" a2p0 b2p1 b2p0 5001 relay_failover
(( $(relayed "$new_relay" forwarded) > 0 )) || die "[$new_relay] forwarded nothing"
for node in "$gw_a" "$gw_b"; do says_path "$node" || die "[$node] does not say the relay: $(verbose "$node")"; done

log "== no relay left: $new_relay dies too"
kill -9 "${AGENT_PID[$new_relay]}"
unset "AGENT_PID[$new_relay]"
ipn "$new_relay" link set ul0 down
edges_see_no_path() { unreachable_is a2 1 && unreachable_is b2 1; }
wait_for 15 "a2 and b2 see gw-cloud gone and the other edge pool unreachable" edges_see_no_path
before=$(drop_count a2 no_path)
! nq a2p0 ping -c 3 -i 0.2 -W 1 "${POD_IP4[b2p0]}" >/dev/null || die "a2p0 reached b2p0 with no path between the pools"
after=$(drop_count a2 no_path)
(( after - before >= 3 )) || die "a2's no_path drops went $before -> $after, want +3"
result "a2.no_path_drops=$((after - before))"
for node in a1 a2 b1 b2; do
  out=$(verbose "$node")
  [[ $out == ok* && $out == *"no path to Gateway $(other_edge "$node"): both active gateways"*"no NAT relay is up"* ]] ||
    die "[$node] /healthz?verbose does not name the pair: $out"
done
gw_a=$(active_endpoint gw-edge-a)
wait_for 5 "gw-edge-a's status says None to gw-edge-b" status_path_is gw-edge-a gw-edge-b None/
wait_for 5 "a NoPath Event for $gw_a" has_event NoPath "node $gw_a reaches Gateway gw-edge-b by no path"
key_b=$(kc get gateway gw-edge-b -o json | "${UTIL[@]}" jsonpath status.activeEndpoints.0.config.publicKey)
[[ $key_b =~ ^[A-Za-z0-9+/]{43}=$ ]] || die "gw-edge-b's active endpoint has no public key: '$key_b'"
[[ $(wg_peers "$gw_a") != *"$key_b"* ]] || die "[$gw_a] has a WireGuard peer for gw-edge-b"
log "relayed while a relay lives, following it through a failover; without one: dropped, counted and said"
